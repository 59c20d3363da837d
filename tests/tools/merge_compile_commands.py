#!/usr/bin/env python3
"""Merge compile_commands.json files (host + kernel builds) into one for clangd."""
import json
import os
import sys

*inputs, output = sys.argv[1:]
entries = []
for path in inputs:
    if os.path.exists(path):
        entries += json.load(open(path))
text = json.dumps(entries, indent=1)
if not os.path.exists(output) or open(output).read() != text:
    open(output, "w").write(text)
