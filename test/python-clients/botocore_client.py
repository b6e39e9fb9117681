"""A Python client of the API as its users write one: botocore's SigV4Auth and requests.

Usage: botocore_client.py <route URL> <region>; credentials from AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY. Places a call, places it again (a replay), reads its status, then
sends a request whose body was changed after signing. Prints one JSON object with what
it saw, for test/schemathesis.test.ts to check.
"""
import json
import os
import sys

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed(method: str, url: str, region: str, body: bytes = b"", headers: dict | None = None) -> AWSRequest:
    credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return request


def send(request: AWSRequest, body: bytes | None = None) -> requests.Response:
    prepared = request.prepare()
    return requests.request(prepared.method, prepared.url, headers=dict(prepared.headers),
                            data=prepared.body if body is None else body, timeout=30)


def main() -> None:
    url, region = sys.argv[1], sys.argv[2]
    body = json.dumps({"DestinationPhoneNumber": "+12125550123"}).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": "botocore-client-1"}
    first = send(signed("PUT", url, region, body, headers))
    replay = send(signed("PUT", url, region, body, headers))
    contact_id = first.json()["data"]["id"]
    status = send(signed("GET", f"{url}/{contact_id}", region))
    tampered = send(signed("PUT", url, region, body, headers), body.replace(b"0123", b"0199"))
    print(json.dumps({
        "first": {"status": first.status_code, "body": first.text},
        "replay": {"status": replay.status_code, "body": replay.text, "replayed": replay.headers.get("Idempotent-Replayed")},
        "status": {"status": status.status_code, "body": status.json()},
        "tampered": {"status": tampered.status_code, "body": tampered.json(), "errorType": tampered.headers.get("x-amzn-ErrorType")},
    }))


if __name__ == "__main__":
    main()
