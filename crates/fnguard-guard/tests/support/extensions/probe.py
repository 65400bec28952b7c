#!/usr/bin/env python3
"""A tiny external Lambda extension for the emulator tests.

It registers under its file name, follows INVOKE and SHUTDOWN, and prints
one JSON line per step on stdout ({"probe": NAME, "state": ...}). Variables
make it misbehave on purpose:
  PROBE_EVENTS         events to register for (default INVOKE,SHUTDOWN)
  PROBE_INIT_ERROR     if set: post init/error after registering, exit 1
  PROBE_EXIT_ERROR_AT  on the Nth INVOKE: post exit/error, exit 1
  PROBE_CRASH_AT       on the Nth INVOKE: exit 3 without a word
  PROBE_WORK_MS        after each INVOKE, work this long before next
  PROBE_READY_AFTER_MS after registering, wait this long before the first next
"""
import json
import os
import sys
import time
import urllib.request

API = "http://%s/2020-01-01/extension" % os.environ["AWS_LAMBDA_RUNTIME_API"]
# Its file name, or the name given as its argument when a launcher script
# installed under that name runs it.
NAME = sys.argv[1] if len(sys.argv) > 1 else os.path.basename(sys.argv[0])


def say(**fields):
    print(json.dumps(dict(probe=NAME, **fields)), flush=True)


def call(method, path, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        API + path, data=data, method=method, headers=headers or {}
    )
    with urllib.request.urlopen(request) as response:
        raw = response.read()
        return response.headers, json.loads(raw) if raw else None


def post_error(kind, ext_id):
    call(
        "POST",
        "/%s/error" % kind,
        {"errorMessage": "probe failed on purpose", "errorType": "ProbeFailure"},
        {
            "Lambda-Extension-Identifier": ext_id,
            "Lambda-Extension-Function-Error-Type": "Extension.ProbeFailure",
        },
    )


def number(name):
    value = os.environ.get(name)
    return int(value) if value else None


events = [e for e in os.environ.get("PROBE_EVENTS", "INVOKE,SHUTDOWN").split(",") if e]
headers, info = call(
    "POST", "/register", {"events": events}, {"Lambda-Extension-Name": NAME}
)
ext_id = headers["Lambda-Extension-Identifier"]
say(
    state="registered",
    function_name=info["functionName"],
    handler=info["handler"],
    env={
        name: os.environ.get(name)
        for name in ["PROBE_GREETING", "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME"]
    },
)
if os.environ.get("PROBE_INIT_ERROR"):
    # Said first: Lambda may kill the process as soon as the error is in.
    say(state="init-error")
    post_error("init", ext_id)
    sys.exit(1)

time.sleep((number("PROBE_READY_AFTER_MS") or 0) / 1000)
say(state="ready")
exit_error_at = number("PROBE_EXIT_ERROR_AT")
crash_at = number("PROBE_CRASH_AT")
work_ms = number("PROBE_WORK_MS") or 0
invokes = 0
while True:
    _, event = call("GET", "/event/next", headers={"Lambda-Extension-Identifier": ext_id})
    if event["eventType"] == "SHUTDOWN":
        say(state="shutdown", reason=event["shutdownReason"])
        sys.exit(0)
    invokes += 1
    say(
        state="invoke",
        n=invokes,
        request_id=event["requestId"],
        arn=event["invokedFunctionArn"],
        deadline_ms=event["deadlineMs"],
        has_payload="payload" in event or "body" in event,
    )
    if invokes == exit_error_at:
        say(state="exit-error")
        post_error("exit", ext_id)
        sys.exit(1)
    if invokes == crash_at:
        say(state="crash")
        os._exit(3)
    time.sleep(work_ms / 1000)
