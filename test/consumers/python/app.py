from aws_cdk import App, Duration, Stack
from cdk_connect_outbound_caller import CallerAuthorization, OutboundCaller


def calls_stack(app: App) -> Stack:
    stack = Stack(app, "Calls")
    OutboundCaller(stack, "Caller",
        # The instance ARN (or its id) and the default contact flow (a GUID or the flow's ARN).
        instance_id="arn:aws:connect:eu-west-2:111122223333:instance/10a4c4eb-f57e-4d4c-b602-bf39176ced07",
        contact_flow_id="846ec553-a005-41c0-8341-2a9cf1e8f2a7",
        # The caller id: the queue's outbound caller id number.
        queue_id="5a3a2e56-9b44-4e8b-8f7e-0c1d2e3f4a5b",
        # Toll-fraud guard: only these countries (premium-rate numbers are blocked by default).
        allowed_destination_countries=["GB", "IE"],
        # Callers send an x-api-key header; a usage plan carries the throttle.
        authorization=CallerAuthorization.api_key(),
        # A repeated Idempotency-Key replays the first answer for 2 days.
        idempotency_window=Duration.days(2),
    )
    return stack


if __name__ == "__main__":
    app = App()
    calls_stack(app)
    app.synth()
