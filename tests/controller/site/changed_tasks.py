"""Print, one per line, the tasks and handlers that reported `changed` in an ansible-playbook log (default output)."""
import re
import sys

task = None
changed = set()
with open(sys.argv[1], encoding='utf-8') as log:
    for line in log:
        header = re.match(r'(?:TASK|RUNNING HANDLER) \[(.*)\]', line)
        if header:
            task = header.group(1)
        elif line.startswith('changed: '):
            changed.add(task)
for name in sorted(changed):
    print(name)
