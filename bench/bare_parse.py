#!/usr/bin/env python3
"""The floor: parse every YAML file under DIR with PyYAML's libyaml CSafeLoader."""
import os
import sys

import yaml

count = 0
for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if name.endswith(".yaml") and name != "mailform.yaml":
            with open(os.path.join(root, name), "rb") as f:
                yaml.load(f, Loader=yaml.CSafeLoader)
            count += 1
print(f"parsed {count} files", file=sys.stderr)
