/// Polls `condition` every millisecond until it holds or `limit` has passed, and says
/// whether it held: for tests waiting on work other tasks do, bounded so that a test
/// whose condition never comes fails (`#expect(await eventually { … })`) rather than
/// hangs. The limit is generous: under the whole suite, tasks may run seconds late.
public func eventually(within limit: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { return condition() }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}
