// sfa-roles: prints docs/roles.md, the role table, from the permission table.
// scripts/generate runs it; scripts/test fails when the committed file differs.
import SFARPC
import SFAServices

if CommandLine.arguments.dropFirst().first == "--version" {
    print(SalesWireVersion.current)
} else {
    print(PermissionTable.markdown(), terminator: "")
}
