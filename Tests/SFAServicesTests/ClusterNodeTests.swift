@testable import SFAServices
import SFAStorage
import Testing

/// Where a node puts and looks for a moving tenant's copy.
@Suite struct ClusterNodeTests {
    @Test func aHandoffPathIsMadeOnlyForATenantIDSoNoRequestNamesAPathOfItsOwn() throws {
        let node = ClusterNode(id: "a", address: "127.0.0.1:1", handoffDirectory: "/shared/handoff")
        for hostile in ["../../etc/passwd", "ten_x/../../y", "", "usr_01J0000000000000000000000"] {
            #expect(throws: StorageError.notFound(kind: "tenant", id: hostile)) { try node.handoffPath(hostile, epoch: 2) }
        }
        let tenantID = RecordID.make("ten")
        #expect(try node.handoffPath(tenantID, epoch: 2) == "/shared/handoff/" + tenantID + "@2.sqlite")
    }
}
