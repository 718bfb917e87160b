import ArgumentParser

/// Pagination options of the list commands.
struct PageOptions: ParsableArguments {
    @Option(help: "Items per page (the server's default when left out; it caps large values).")
    var pageSize: Int32?

    @Option(help: "Continue a listing from the next_page_token a previous page returned.")
    var pageToken: String?

    @Flag(help: "Follow next_page_token until the last page and print everything.")
    var all = false

    func validate() throws {
        if let pageSize, pageSize <= 0 { throw ValidationError("--page-size must be greater than 0") }
    }

    /// Fetches the first page (or, with `--all`, every page): `fetch` gets the page
    /// token and returns a page's items and its next_page_token.
    func collect<Item>(
        _ fetch: (_ pageToken: String) async throws -> (items: [Item], nextPageToken: String)
    ) async throws -> (items: [Item], nextPageToken: String) {
        var items: [Item] = []
        var token = pageToken ?? ""
        var seen: Set<String> = []
        while true {
            let page = try await fetch(token)
            items.append(contentsOf: page.items)
            guard all, !page.nextPageToken.isEmpty else { return (items, page.nextPageToken) }
            guard seen.insert(page.nextPageToken).inserted else {
                throw CLIError("the server returned the same next_page_token twice; stopping")
            }
            token = page.nextPageToken
        }
    }

    /// Tells the user on standard error that there is more to list.
    static func noteMore(_ nextPageToken: String, json: Bool) {
        guard !nextPageToken.isEmpty, !json else { return }
        ErrorReporter.printError("(more: add --all, or --page-token \(nextPageToken))")
    }
}
