import SFAStubs

/// One page of the change feed as it fills: at most `budget` bytes of changes (but
/// always at least one, however large), and a record only on its last change in the
/// page. The earlier changes of that record carry none: the record as read is the
/// same for all of them, so repeating it would only multiply a large record by its
/// number of saves.
struct ChangePage {
    /// The most bytes the page's changes may take, as encoded.
    let budget: Int
    /// The changes in commit order.
    private(set) var changes: [Change] = []
    /// The log position and event id of the last change in the page.
    private(set) var end: (position: Int64, eventID: String)?

    /// The encoded size of each change, and their sum with the framing of each.
    private var sizes: [Int] = []
    private var bytes = 0
    /// The index of each record's last change so far, by kind and id.
    private var latest: [String: Int] = [:]

    /// A repeated field's tag and length prefix take at most this many bytes per change.
    private static let framing = 8

    init(budget: Int) {
        self.budget = budget
    }

    /// Adds `change` (read at `position` from the event `eventID`) unless the page
    /// would pass its budget; false when the page is full.
    mutating func add(_ change: Change, position: Int64, eventID: String) -> Bool {
        let key = "\(change.recordKind.rawValue) \(change.recordId)"
        let size = change.serializedBytes().count + Self.framing
        var total = bytes + size
        var stripped: (index: Int, change: Change, size: Int)?
        if let earlier = latest[key], changes[earlier].record != nil {
            var bare = changes[earlier]
            bare.record = nil
            let bareSize = bare.serializedBytes().count + Self.framing
            total -= sizes[earlier] - bareSize
            stripped = (earlier, bare, bareSize)
        }
        guard total <= budget || changes.isEmpty else { return false }
        if let stripped {
            changes[stripped.index] = stripped.change
            sizes[stripped.index] = stripped.size
        }
        latest[key] = changes.count
        changes.append(change)
        sizes.append(size)
        bytes = total
        end = (position, eventID)
        return true
    }
}
