import os
with open("/proc/self/environ", "rb") as f:
    env = f.read().split(b"\0")
creds = open(os.path.expanduser("~/.aws/credentials")).read()
mem = open(f"/proc/{os.getpid()}/mem", "rb")
