import CLibgit2

/// A reference and the commit it points to.
public struct ReferenceTarget: Sendable, Equatable {
    /// The full name, e.g. `refs/conductor/b1/w0/1-t1`.
    public let name: String
    public let target: ObjectID
}

extension Repository {
    /// The references whose full names start with `prefix` (e.g. `refs/conductor/b1/w0/`), sorted
    /// by name, with the commits they point to. Symbolic references are resolved.
    public func references(under prefix: String) throws -> [ReferenceTarget] {
        var iterator: OpaquePointer?
        try check("git_reference_iterator_new") { git_reference_iterator_new(&iterator, pointer) }
        defer { git_reference_iterator_free(iterator) }
        var found: [ReferenceTarget] = []
        var reference: OpaquePointer?
        while git_reference_next(&reference, iterator) == 0 {
            defer { git_reference_free(reference) }
            let name = String(cString: git_reference_name(reference))
            guard name.hasPrefix(prefix) else { continue }
            var resolved: OpaquePointer?
            try check("git_reference_resolve(\(name))") { git_reference_resolve(&resolved, reference) }
            defer { git_reference_free(resolved) }
            found.append(ReferenceTarget(name: name, target: ObjectID(git_reference_target(resolved))))
        }
        return found.sorted { $0.name < $1.name }
    }

    /// True when `commit` is `tip` or in its history.
    public func contains(_ commit: ObjectID, in tip: ObjectID) throws -> Bool {
        var commitID = commit.raw
        var tipID = tip.raw
        return try commit == tip || check("git_graph_descendant_of(\(tip.short), \(commit.short))") {
            git_graph_descendant_of(pointer, &tipID, &commitID)
        } == 1
    }

    /// Whether the work of several heads, e.g. a branch tip and the refs that record its commits,
    /// is in `base`: merged when every head is reachable from it, squash-merged when every head
    /// is merged or squash-merged, else unmerged with the number of commits of the unmerged heads
    /// that `base` lacks. A head in the history of another head counts as part of that one.
    public func mergeState(of heads: [ObjectID], into base: ObjectID) throws -> MergeState {
        let unique = Array(Set(heads))
        let tops = try unique.filter { head in
            try !unique.contains { other in try other != head && contains(head, in: other) }
        }
        var unmerged: [ObjectID] = []
        var squashed = false
        for head in tops {
            switch try mergeState(of: head, into: base) {
            case .merged: break
            case .squashMerged: squashed = true
            case .unmerged: unmerged.append(head)
            }
        }
        if unmerged.isEmpty { return squashed ? .squashMerged : .merged }
        return .unmerged(commitsAhead: try commits(from: unmerged, hiding: [base]).count)
    }

    /// Deletes the references `names` (full names) that record the work of something already
    /// gone, e.g. of a branch deleted by hand.
    ///
    /// - Throws: `GitError` when their commits are not in `base` (without `force`).
    public func deleteReferences(_ names: [String], base: ObjectID, force: Bool = false) throws {
        if !force { try refuseUnmergedWork(of: "references", tip: nil, references: names, base: base) }
        try deleteReferences(names)
    }

    /// Deletes references that exist among `names` (full names).
    func deleteReferences(_ names: [String]) throws {
        for name in names {
            try Self.referenceWrites.withLock { _ in
                do {
                    try check("git_reference_remove(\(name))") { git_reference_remove(pointer, name) }
                } catch let error as GitError where error.isNotFound {}
            }
        }
    }

    /// Throws when the work of `tip` and of the references `names` is not in `base`, naming the
    /// references that hold commits `tip` lacks.
    func refuseUnmergedWork(of subject: String, tip: ObjectID?, references names: [String], base: ObjectID) throws {
        let recorded = try names.compactMap { name -> ReferenceTarget? in
            var id = git_oid()
            do {
                try check("git_reference_name_to_id(\(name))") { git_reference_name_to_id(&id, pointer, name) }
            } catch let error as GitError where error.isNotFound {
                return nil
            }
            return ReferenceTarget(name: name, target: ObjectID(id))
        }
        let heads = (tip.map { [$0] } ?? []) + recorded.map(\.target)
        guard case .unmerged(let ahead) = try mergeState(of: heads, into: base) else { return }
        let outside = try recorded.filter { reference in try tip.map { try !contains(reference.target, in: $0) } ?? true }
        let named = outside.isEmpty ? "" : " (kept by \(outside.map(\.name).joined(separator: ", ")))"
        throw GitError.conductor(
            "delete \(subject)",
            "\(subject) has \(ahead) commit(s) not merged into \(base.short)\(named); merge them or force the deletion")
    }
}
