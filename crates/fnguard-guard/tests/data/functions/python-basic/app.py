"""Handlers of the emulator tests, run by awslambdaric.

`handler` dispatches on the event's "action": echo (default), env, fail,
sleep, die.
"""
import os
import signal
import time


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
        "cwd": os.getcwd(),
    }
