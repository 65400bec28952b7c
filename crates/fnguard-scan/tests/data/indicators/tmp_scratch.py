import json, subprocess
with open("/tmp/report.json", "w") as out:
    json.dump({"ok": True}, out)
subprocess.run(["gzip", "-k", "/tmp/report.json"], check=True)
LOG = "/tmp/app.log"
