import os, stat
REPORT = "/tmp/report.txt"
TOOL = os.path.join(os.path.dirname(__file__), "bin", "imgtool")
os.chmod(TOOL, os.stat(TOOL).st_mode | stat.S_IXUSR)
with open(REPORT, "w") as report:
    report.write("ok")
os.remove(REPORT)
