extension Dictionary {
    /// Runs `body` on the value of `key` (`defaultValue` when absent) in place, through
    /// the subscript's accessor: one lookup, and no copy of what the value holds (a
    /// stage's lengths, a group's times) per update.
    mutating func update(_ key: Key, default defaultValue: @autoclosure () -> Value, _ body: (inout Value) -> Void) {
        body(&self[key, default: defaultValue()])
    }
}
