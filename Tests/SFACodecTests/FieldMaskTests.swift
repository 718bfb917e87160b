import SFACodec
import SFAMessages
import Testing

/// The generated field masks: `fieldNames` and `merge(from:fields:)`.
@Suite struct FieldMaskTests {
    @Test func mergeCopiesExactlyTheNamedFields() throws {
        var account = Account(id: "acct_1", version: 3, name: "Acme", phone: "+1 555", notes: "keep")
        let changes = Account(id: "other", name: "Acme KK", phone: "", notes: "ignored")
        try account.merge(from: changes, fields: ["name", "phone"])
        #expect(account == Account(id: "acct_1", version: 3, name: "Acme KK", phone: "", notes: "keep"))
    }

    @Test func aNameThatIsNotAFieldThrows() {
        var account = Account(name: "Acme")
        #expect(throws: FieldMaskError.unknownField("nmae", message: "sfa.v1.Account")) {
            try account.merge(from: Account(name: "X"), fields: ["nmae"])
        }
        #expect(account.name == "Acme")
    }

    @Test func fieldNamesListEveryFieldByItsProtoName() {
        #expect(Account.fieldNames.contains("parent_account_id"))
        #expect(Account.fieldNames.contains("custom_fields"))
        #expect(!Account.fieldNames.contains("parentAccountId"))
    }
}
