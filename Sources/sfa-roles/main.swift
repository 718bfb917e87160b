// sfa-roles: prints docs/roles.md, the role table, from the permission table.
// scripts/generate runs it; scripts/test fails when the committed file differs.
import SFAServices

print(PermissionTable.markdown(), terminator: "")
