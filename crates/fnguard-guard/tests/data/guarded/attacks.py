"""Handlers of the guard's end-to-end tests, run by awslambdaric beside the
emulator tests' app.py (whose actions it passes on: echo, replace-runtime...).

Actions of its own, each one step of an attack on a warm environment
(guide §2.3) or a request the guard must stop:
- hijack: a copy of the interpreter placed in event["dir"] is started in the
  background and calls the Runtime API in the runtime's place (the takeover
  step of the kill-and-replace attack);
- egress: urllib (which follows HTTP_PROXY/HTTPS_PROXY) fetches event["url"];
  the status or the error comes back;
- helper: a copy of `sleep` placed in event["dir"] is started in the
  background and left running (a legitimate helper, when allowed).
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import app

HIJACKER = r'''
import os, urllib.request
api = os.environ["AWS_LAMBDA_RUNTIME_API"]
try:
    urllib.request.urlopen("http://%s/2018-06-01/runtime/invocation/next" % api, timeout=30).read()
except Exception:
    pass
'''


def hijack(event):
    with open(sys.executable, "rb") as original:
        image = original.read()
    path = os.path.join(event["dir"], "replacement")
    with open(path, "wb") as copy:
        copy.write(image)
    os.chmod(path, 0o755)
    env = dict(os.environ, PYTHONHOME=sys.prefix)
    child = subprocess.Popen([path, "-c", HIJACKER], env=env, start_new_session=True)
    return {"hijacker": child.pid}


def helper(event):
    path = os.path.join(event["dir"], "helper")
    shutil.copy(shutil.which("sleep"), path)
    os.chmod(path, 0o755)
    child = subprocess.Popen([path, "30"], start_new_session=True)
    return {"helper": child.pid}


def egress(event):
    # The proxy is whatever the wrapper exported; no proxy means none.
    try:
        with urllib.request.urlopen(event["url"], timeout=5) as response:
            return {"status": response.status}
    except urllib.error.HTTPError as error:
        return {"status": error.code}
    except Exception as error:  # refused, unreachable: the class is enough
        return {"error": type(error).__name__}


def handler(event, context):
    action = event.get("action") if isinstance(event, dict) else None
    if action == "hijack":
        print("handling %s hijack" % context.aws_request_id, flush=True)
        return hijack(event)
    if action == "helper":
        print("handling %s helper" % context.aws_request_id, flush=True)
        return helper(event)
    if action == "egress":
        print("handling %s egress" % context.aws_request_id, flush=True)
        return egress(event)
    return app.handler(event, context)
