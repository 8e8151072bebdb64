"""Prints every failed or erroring test of the last build with the first lines of its failure, from the JUnit XML
reports of surefire, failsafe and the bnd tester (pm500.itest), so the end of a CI log names what failed."""
import glob
import xml.etree.ElementTree as ET

patterns = ["*/target/surefire-reports/TEST-*.xml", "*/target/failsafe-reports/TEST-*.xml",
            "*/target/test-reports/**/TEST-*.xml"]
failed = 0
for pattern in patterns:
    for report in sorted(glob.glob(pattern, recursive=True)):
        try:
            root = ET.parse(report).getroot()
        except ET.ParseError as e:
            print(f"unreadable report {report}: {e}")
            continue
        for case in root.iter("testcase"):
            for kind in ("failure", "error"):
                for problem in case.findall(kind):
                    failed += 1
                    print(f"\nFAILED ({kind}) {case.get('classname')}.{case.get('name')}  [{report.split('/')[0]}]")
                    text = (problem.get("message") or "") + "\n" + (problem.text or "")
                    for line in [l for l in text.strip().splitlines() if l.strip()][:25]:
                        print("    " + line[:300])
print(f"\n{failed} failed test(s) in the reports" if failed else "\nno failed test in the reports:"
      " the build failed elsewhere (see above)")
