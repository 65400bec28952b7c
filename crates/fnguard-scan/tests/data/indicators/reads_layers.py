import json, sys
sys.path.insert(0, "/opt/python")
with open("/opt/config/settings.json") as f:
    SETTINGS = json.load(f)
with open("/var/task/data/table.csv", "r") as table:
    ROWS = table.read().splitlines()
layer_dir = lambda name: "/opt/" + name
