package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/example/cdk-connect-outbound-caller-go/cdkconnectoutboundcaller"
)

func CallsStack(app awscdk.App) awscdk.Stack {
	stack := awscdk.NewStack(app, jsii.String("Calls"), nil)
	cdkconnectoutboundcaller.NewOutboundCaller(stack, jsii.String("Caller"), &cdkconnectoutboundcaller.OutboundCallerProps{
		// The instance ARN (or its id) and the default contact flow (a GUID or the flow's ARN).
		InstanceId:    jsii.String("arn:aws:connect:eu-west-2:111122223333:instance/10a4c4eb-f57e-4d4c-b602-bf39176ced07"),
		ContactFlowId: jsii.String("846ec553-a005-41c0-8341-2a9cf1e8f2a7"),
		// The caller id: the queue's outbound caller id number.
		QueueId: jsii.String("5a3a2e56-9b44-4e8b-8f7e-0c1d2e3f4a5b"),
		// Toll-fraud guard: only these countries (premium-rate numbers are blocked by default).
		AllowedDestinationCountries: jsii.Strings("GB", "IE"),
		// Callers send an x-api-key header; a usage plan carries the throttle.
		Authorization: cdkconnectoutboundcaller.CallerAuthorization_ApiKey(nil),
		// A repeated Idempotency-Key replays the first answer for 2 days.
		IdempotencyWindow: awscdk.Duration_Days(jsii.Number(2)),
	})
	return stack
}

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	CallsStack(app)
	app.Synth(nil)
}
