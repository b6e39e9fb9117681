"""Schemathesis hooks for the sandbox (test/schemathesis.test.ts).

Signs each request the fuzzer sends with botocore's SigV4Auth (service
execute-api, the sandbox's region, one of its printed key pairs), the way a
Python client of the deployed API signs, once the request's final bytes are
known. Only requests whose Authorization header is the marker the test passes
(`-H "Authorization: <marker>"`) are signed: the probes of schemathesis'
`ignored_auth` check remove or replace that header, and must then be refused.

Counts the requests per operation and status and writes them, as JSON, to
$SCHEMATHESIS_COUNTS when the run ends.
"""
import atexit
import json
import os
from collections import Counter

import requests
import schemathesis
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

MARKER = os.environ["SIGV4_MARKER"]
CREDENTIALS = Credentials(os.environ["SIGV4_ACCESS_KEY_ID"], os.environ["SIGV4_SECRET_ACCESS_KEY"])
REGION = os.environ["SIGV4_REGION"]
COUNTS: Counter = Counter()


class SigV4IfMarked(requests.auth.AuthBase):
    """requests auth: SigV4 over the prepared request (method, URL, headers, body as sent)."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.headers.get("Authorization") != MARKER:
            return request
        del request.headers["Authorization"]
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        aws_request = AWSRequest(method=request.method, url=request.url, data=body, headers=dict(request.headers))
        SigV4Auth(CREDENTIALS, "execute-api", REGION).add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date"):
            request.headers[name] = aws_request.headers[name]
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    kwargs["auth"] = SigV4IfMarked()


@schemathesis.hook
def after_call(context, case, response):
    COUNTS[f"{case.method.upper()} {case.path} {response.status_code}"] += 1


@atexit.register
def _write_counts() -> None:
    path = os.environ.get("SCHEMATHESIS_COUNTS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(dict(COUNTS), out)
