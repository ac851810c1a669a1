internal import CLibgit2

/// Where HEAD of a checkout points.
public struct Head: Sendable, Equatable {
    /// The branch HEAD is on (short name, `main` for `refs/heads/main`); nil when HEAD is detached.
    public let branch: String?
    /// The commit HEAD resolves to; nil on a branch with no commits yet.
    public let commit: ObjectID?
}

/// A reference and the commit it names.
public struct ReferenceTarget: Sendable, Equatable {
    /// The full name, e.g. `refs/conductor/b1/w0/3-auth-0123456789ab`.
    public let name: String
    public let commit: ObjectID
}

extension Repository {
    /// Where HEAD points: a branch (even one with no commits yet) or a detached commit.
    public func head() throws -> Head {
        var reference: OpaquePointer?
        try check("git_reference_lookup(HEAD)") { git_reference_lookup(&reference, pointer, "HEAD") }
        defer { git_reference_free(reference) }
        guard git_reference_type(reference) == GIT_REFERENCE_SYMBOLIC else {
            return Head(branch: nil, commit: git_reference_target(reference).map(ObjectID.init))
        }
        let target = String(cString: git_reference_symbolic_target(reference))
        let branch = target.hasPrefix("refs/heads/") ? String(target.dropFirst("refs/heads/".count)) : nil
        var resolved: OpaquePointer?
        guard git_reference_resolve(&resolved, reference) == 0 else { return Head(branch: branch, commit: nil) }
        defer { git_reference_free(resolved) }
        return Head(branch: branch, commit: git_reference_target(resolved).map(ObjectID.init))
    }

    /// The references whose full names start with `prefix` (e.g. `refs/conductor/b1/w0/`),
    /// sorted by name. Symbolic references are left out.
    public func references(prefix: String) throws -> [ReferenceTarget] {
        var iterator: OpaquePointer?
        try check("git_reference_iterator_glob_new(\(prefix))") { git_reference_iterator_glob_new(&iterator, pointer, prefix + "*") }
        defer { git_reference_iterator_free(iterator) }
        var found: [ReferenceTarget] = []
        var reference: OpaquePointer?
        while git_reference_next(&reference, iterator) == 0 {
            defer { git_reference_free(reference) }
            let name = String(cString: git_reference_name(reference))
            guard name.hasPrefix(prefix), let target = git_reference_target(reference) else { continue }
            found.append(ReferenceTarget(name: name, commit: ObjectID(target)))
        }
        return found.sorted { $0.name < $1.name }
    }

    /// Points reference `name` (a full name under `refs/`) at `commit`, creating or moving it.
    public func setReference(_ name: String, to commit: ObjectID, message: String) throws {
        var oid = commit.raw
        var reference: OpaquePointer?
        _ = try Self.referenceWrites.withLock { _ in
            try check("git_reference_create(\(name))") { git_reference_create(&reference, pointer, name, &oid, 1, message) }
        }
        git_reference_free(reference)
    }

    /// True when `ancestor` is `commit` or one of its ancestors.
    public func contains(_ ancestor: ObjectID, in commit: ObjectID) -> Bool {
        var ancestorID = ancestor.raw
        var commitID = commit.raw
        return ancestor == commit || git_graph_descendant_of(pointer, &commitID, &ancestorID) == 1
    }

    /// Moves local branch `branch` to `commit` and points HEAD at the branch, leaving the index
    /// and the working directory as they are: after a checkout that detached HEAD (or moved it to
    /// another branch) at `commit`, this puts the checkout back on `branch` without touching a file.
    public func attachHead(to branch: String, at commit: ObjectID, message: String) throws {
        try setReference("refs/heads/" + branch, to: commit, message: message)
        _ = try Self.referenceWrites.withLock { _ in
            try check("git_repository_set_head(\(branch))") { git_repository_set_head(pointer, "refs/heads/" + branch) }
        }
    }

    /// The commits reachable from the references under any of `prefixes` but not from `base`,
    /// newest first (`git log --not base --glob=…`).
    public func commits(underReferences prefixes: [String], notIn base: ObjectID) throws -> [CommitSummary] {
        var walk: OpaquePointer?
        try check("git_revwalk_new") { git_revwalk_new(&walk, pointer) }
        defer { git_revwalk_free(walk) }
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue)
        var pushed = false
        for prefix in prefixes {
            for reference in try references(prefix: prefix) {
                var id = reference.commit.raw
                try check("git_revwalk_push(\(reference.name))") { git_revwalk_push(walk, &id) }
                pushed = true
            }
        }
        guard pushed else { return [] }
        var baseID = base.raw
        try check("git_revwalk_hide") { git_revwalk_hide(walk, &baseID) }
        return try commitSummaries(of: walk)
    }

    /// Whether the work of several heads, e.g. a branch tip and the refs that record its commits,
    /// is in `base`: merged when every head is reachable from it, squash-merged when every head
    /// is merged or squash-merged, else unmerged with the number of commits of the unmerged heads
    /// that `base` lacks. A head in the history of another head counts as part of that one.
    public func mergeState(of heads: [ObjectID], into base: ObjectID) throws -> MergeState {
        let unique = Array(Set(heads))
        let tops = unique.filter { head in
            !unique.contains { other in other != head && contains(head, in: other) }
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
            return ReferenceTarget(name: name, commit: ObjectID(id))
        }
        let heads = (tip.map { [$0] } ?? []) + recorded.map(\.commit)
        guard case .unmerged(let ahead) = try mergeState(of: heads, into: base) else { return }
        let outside = recorded.filter { reference in tip.map { !contains(reference.commit, in: $0) } ?? true }
        let named = outside.isEmpty ? "" : " (kept by \(outside.map(\.name).joined(separator: ", ")))"
        throw GitError.conductor(
            "delete \(subject)",
            "\(subject) has \(ahead) commit(s) not merged into \(base.short)\(named); merge them or force the deletion")
    }
}
