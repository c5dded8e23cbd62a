#!/usr/bin/env python3
# Lists the public throwing functions of a module folder whose /// lacks "- Throws:".
#   python3 scripts/throws-docs.py Sources/MailformStore
import re,sys,glob
missing=[]; total=0
for f in sorted(glob.glob(sys.argv[1]+'/**/*.swift', recursive=True)):
    lines=open(f).read().split("\n")
    for i,l in enumerate(lines):
        if re.match(r'\s*(public|open) (static )?(func|init)\b', l) and re.search(r'\bthrows\b|\brethrows\b', l+ (lines[i+1] if i+1<len(lines) else "")):
            total+=1
            j=i-1; doc=[]
            while j>=0 and (lines[j].strip().startswith("///") or lines[j].strip().startswith("@")):
                doc.append(lines[j]); j-=1
            if not any("- Throws" in d or "- throws" in d for d in doc):
                missing.append(f"{f}:{i+1}: {l.strip()[:100]}")
print(f"{len(missing)} of {total} public throwing APIs lack '- Throws:'")
for m in missing: print(m)
