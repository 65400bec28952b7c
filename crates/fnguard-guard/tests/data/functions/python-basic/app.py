"""Handlers of the emulator tests, run by awslambdaric.

`handler` dispatches on the event's "action": echo (default), env, fail,
sleep, die, replace-runtime.
"""
import json
import os
import signal
import sys
import time
import urllib.request

# Function init: shows when the runtime started, relative to extensions.
print("function init", flush=True)


def replace_runtime(event, context):
    """The persistence attack of Twistlock's PoC (research/runtime.md §2),
    written for the tests: answer the current invocation through the Runtime
    API, then exec a copy of the interpreter placed in event["dir"] (or in a
    memfd when event["memfd"]) in place of the runtime: same PID, no file of
    the function changed, and the copy goes on serving invocations."""
    with open(sys.executable, "rb") as original:
        image = original.read()
    if event.get("memfd"):
        fd = os.memfd_create("runtime", 0)
        os.write(fd, image)
        path = "/proc/self/fd/%d" % fd
    else:
        path = os.path.join(event["dir"], "runtime")
        with open(path, "wb") as copy:
            copy.write(image)
        os.chmod(path, 0o755)
    answer = json.dumps({"replaced": True, "pid": os.getpid()}).encode()
    url = "http://%s/2018-06-01/runtime/invocation/%s/response" % (
        os.environ["AWS_LAMBDA_RUNTIME_API"],
        context.aws_request_id,
    )
    urllib.request.urlopen(urllib.request.Request(url, data=answer, method="POST")).read()
    sys.stdout.flush()
    # The copy finds the standard library through the original prefix.
    os.environ["PYTHONHOME"] = sys.prefix
    os.execv(path, [path, "-m", "awslambdaric", os.environ["_HANDLER"]])


def handler(event, context):
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    print("handling %s %s" % (context.aws_request_id, action), flush=True)
    if action == "env":
        return {name: os.environ.get(name) for name in event["names"]}
    if action == "fail":
        raise ValueError(event.get("message", "failed on purpose"))
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"]}
    if action == "replace-runtime":
        replace_runtime(event, context)
    if action == "die":
        # The runtime killed in the middle of an invocation.
        os.kill(os.getpid(), signal.SIGKILL)
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "pid": os.getpid(),
        "exe": os.readlink("/proc/self/exe"),
        "cwd": os.getcwd(),
    }
