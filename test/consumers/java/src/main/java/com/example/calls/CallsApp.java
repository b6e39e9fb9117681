package com.example.calls;

import io.github.example.cdk.connect.outboundcaller.CallerAuthorization;
import io.github.example.cdk.connect.outboundcaller.OutboundCaller;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;

public final class CallsApp {
    public static Stack callsStack(final App app) {
        Stack stack = new Stack(app, "Calls");
        OutboundCaller.Builder.create(stack, "Caller")
            // The instance ARN (or its id) and the default contact flow (a GUID or the flow's ARN).
            .instanceId("arn:aws:connect:eu-west-2:111122223333:instance/10a4c4eb-f57e-4d4c-b602-bf39176ced07")
            .contactFlowId("846ec553-a005-41c0-8341-2a9cf1e8f2a7")
            // The caller id: the queue's outbound caller id number.
            .queueId("5a3a2e56-9b44-4e8b-8f7e-0c1d2e3f4a5b")
            // Toll-fraud guard: only these countries (premium-rate numbers are blocked by default).
            .allowedDestinationCountries(List.of("GB", "IE"))
            // Callers send an x-api-key header; a usage plan carries the throttle.
            .authorization(CallerAuthorization.apiKey())
            // A repeated Idempotency-Key replays the first answer for 2 days.
            .idempotencyWindow(Duration.days(2))
            .build();
        return stack;
    }

    public static void main(final String[] args) {
        App app = new App();
        callsStack(app);
        app.synth();
    }
}
