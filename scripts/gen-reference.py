#!/usr/bin/env python3
"""Writes docs/reference.md from the schemas' descriptions (the single source).

usage: scripts/gen-reference.py > docs/reference.md
A test (Tests/MailformCLITests/DocsTests.swift) fails when a schema property
has no description or the reference does not show it.
"""
import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "Sources", "MailformCore", "Schemas")


def resolve(node, root):
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        merged = dict(target)
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        node = merged
    return node


def kind(node, root):
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "type" in node:
        t = node["type"]
        if t == "array" and isinstance(node.get("items"), dict):
            # `array of `login_codes` | `dsar` ...`: a list shows what it may hold.
            return "array of " + kind(resolve(node["items"], root), root)
        return " or ".join(t) if isinstance(t, list) else t
    if "anyOf" in node:
        return " or ".join(kind(resolve(b, root), root) if isinstance(b, dict) else "?" for b in node["anyOf"])
    return "any"


def walk(node, root, path, rows):
    node = resolve(node, root)
    for name, child in node.get("properties", {}).items():
        child_resolved = resolve(child, root)
        description = child.get("description") or child_resolved.get("description", "")
        rows.append((path + name, kind(child_resolved, root), description))
        walk(child_resolved, root, path + name + ".", rows)
        items = child_resolved.get("items")
        if isinstance(items, dict):
            walk(items, root, path + name + "[].", rows)
        additional = child_resolved.get("additionalProperties")
        if isinstance(additional, dict):
            walk(additional, root, path + name + ".NAME.", rows)
    for branch in node.get("anyOf", []):
        if isinstance(branch, dict) and branch.get("type") == "object":
            walk(branch, root, path, rows)


def section(title, file):
    schema = json.load(open(os.path.join(ROOT, file)))
    rows = []
    walk(schema, schema, "", rows)
    out = [f"## {title}", "", schema.get("description", ""), "", "| key | value | meaning |", "| --- | --- | --- |"]
    for path, value, description in rows:
        escaped = description.replace("|", "\\|")
        out.append(f"| `{path}` | {value} | {escaped} |")
    return "\n".join(out) + "\n"


print("# File reference\n")
print("Generated from the schemas by `scripts/gen-reference.py`; the schemas are the")
print("source (`mailform schema company`, `mailform schema workspace`).\n")
print(section("Company file (`companies/*.yaml`)", "company.schema.json"))
print(section("Workspace file (`mailform.yaml`)", "workspace.schema.json"))
