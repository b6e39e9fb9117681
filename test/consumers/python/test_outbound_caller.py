"""A Python CDK app using OutboundCaller from the built wheel (see README, "Other languages")."""
import glob
import os
import shutil
import tarfile

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

import cdk_connect_outbound_caller
from cdk_connect_outbound_caller import OutboundCaller

from app import calls_stack

INSTANCE = "10a4c4eb-f57e-4d4c-b602-bf39176ced07"


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    app = App(outdir=str(tmp_path_factory.mktemp("cdk") / "cdk.out"))
    stack = calls_stack(app)
    template = Template.from_stack(stack)
    return template, app.synth().directory


def shipped_bundle(name):
    """The handler bundle inside the wheel's embedded npm tarball, as built by `projen bundle`."""
    [tarball] = glob.glob(os.path.join(os.path.dirname(cdk_connect_outbound_caller.__file__), "_jsii", "*.jsii.tgz"))
    with tarfile.open(tarball) as archive:
        return archive.extractfile(f"package/assets/lambda/{name}.lambda/index.js").read()


def test_no_esbuild_or_docker_on_path():
    assert shutil.which("esbuild") is None
    assert shutil.which("docker") is None


def test_route_is_put_contact_outbound_voice_behind_an_api_key(synthesized):
    template, _ = synthesized
    resources = template.find_resources("AWS::ApiGateway::Resource", {"Properties": {"PathPart": "outbound-voice"}})
    assert len(resources) == 1
    [route] = resources
    template.has_resource_properties("AWS::ApiGateway::Method", {
        "HttpMethod": "PUT",
        "ResourceId": {"Ref": route},
        "AuthorizationType": "NONE",
        "ApiKeyRequired": True,
    })
    template.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    template.has_resource_properties("AWS::ApiGateway::UsagePlan", {
        "ApiStages": [Match.object_like({
            "Throttle": {"/contact/outbound-voice/PUT": {"RateLimit": 2, "BurstLimit": 5}},
        })],
    })


def test_ledger_expires_records_after_the_idempotency_window(synthesized):
    template, _ = synthesized
    template.has_resource_properties("AWS::DynamoDB::Table", {
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    })
    template.has_resource_properties("AWS::Lambda::Function", {
        "Environment": {"Variables": Match.object_like({
            "IDEMPOTENCY_WINDOW_SECONDS": "172800",
            "QUEUE_ID": "5a3a2e56-9b44-4e8b-8f7e-0c1d2e3f4a5b",
            "ALLOWED_DESTINATION_COUNTRIES": "GB,IE",
            "AUTH_MODE": "API_KEY",
        })},
    })


def test_connect_permission_is_scoped_to_contacts_of_this_instance(synthesized):
    template, _ = synthesized
    template.has_resource_properties("AWS::IAM::Policy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": "connect:StartOutboundVoiceContact",
            "Resource": f"arn:aws:connect:eu-west-2:111122223333:instance/{INSTANCE}/contact/*",
        })])},
    })
    for policy in template.find_resources("AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Resource"] == "*":
                assert all(action.startswith("xray:") for action in actions), statement


def test_function_code_is_the_shipped_bundle(synthesized):
    template, outdir = synthesized
    functions = template.find_resources("AWS::Lambda::Function")
    assert len(functions) == 2
    for name, description in [("outbound-caller", "OutboundCaller: PUT /contact/outbound-voice"),
                              ("contact-events", "OutboundCaller: contact events to call status")]:
        [function] = [f for f in functions.values() if f["Properties"]["Description"] == description]
        asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        # The staged copy: asset.<hash>, with the source folder's extension on newer aws-cdk-lib.
        [staged_dir] = glob.glob(os.path.join(outdir, f"asset.{asset_hash}*"))
        with open(os.path.join(staged_dir, "index.js"), "rb") as staged:
            assert staged.read() == shipped_bundle(name)


def test_invalid_props_list_every_problem_with_prop_value_and_fix():
    stack = Stack(App(), "Invalid")
    with pytest.raises(Exception) as raised:
        OutboundCaller(stack, "Caller", instance_id="nope", contact_flow_id="abc", source_phone_number="12345")
    message = str(raised.value)
    assert "OutboundCaller: 3 problem(s) in props:" in message
    assert 'instanceId must be a Connect instance id (a GUID) or an instance ARN; got "nope". Copy the instance ARN' in message
    assert 'contactFlowId must be a contact-flow GUID or a contact-flow ARN; got "abc".' in message
    assert 'sourcePhoneNumber must be an E.164 phone number (+ and 2 to 15 digits, no spaces); got "12345". Write it like +14155550100' in message
