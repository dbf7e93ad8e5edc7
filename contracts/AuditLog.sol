// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @title AuditLog
 * @notice Append-only on-chain anchor for the copilot's decision records. Decisions are
 * batched off chain into a Merkle tree and only the root is anchored here, with when
 * (block timestamp and number) and by whom it was anchored. An anchored root can never be
 * overwritten or deleted.
 *
 * @dev Trees are built with `@openzeppelin/merkle-tree`'s `StandardMerkleTree`, so a leaf is
 * double-hashed: `leaf = keccak256(bytes.concat(keccak256(abi.encode(values...))))`, and
 * inner nodes hash sorted pairs. The double hash keeps a 64-byte inner node from ever
 * passing as a leaf (second-preimage resistance). {verifyLeaf} expects that leaf hash, not
 * the raw values. A decision anchored alone with {anchorDecision} is a batch of one whose
 * root is the decision hash itself: it verifies with that hash as the leaf and an empty proof.
 *
 * Storage holds one slot per root (submitter, timestamp, block number) and nothing else,
 * so anchoring a batch costs about one new storage slot, one role lookup and one log. A batch's
 * leaf count and sequence range are recorded only in its {BatchAnchored} event: logs are part
 * of the chain's record (committed to by each block's receipts root) and cannot be altered, but
 * contracts cannot read them, so read them with `eth_getLogs` filtered on the indexed root.
 * No off-chain metadata hash is taken: what it committed to (root, leaf count, sequence range,
 * batch id) is already in the event or derivable from it, and its 32 bytes of calldata and event
 * data cost ~770 gas per anchor.
 */
contract AuditLog is AccessControl {
    /// @notice Role allowed to anchor roots and decisions. Managed by `DEFAULT_ADMIN_ROLE`.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /**
     * @notice What is stored about an anchored root: one storage slot (20 + 6 + 6 bytes).
     * @dev A batch's leaf count and sequence range are in its {BatchAnchored} event only.
     * @param submitter Account that anchored the root (never zero for an anchored root).
     * @param timestamp Timestamp of the block that anchored it.
     * @param blockNumber Number of the block that anchored it.
     */
    struct Batch {
        address submitter;
        uint48 timestamp;
        uint48 blockNumber;
    }

    mapping(bytes32 root => Batch) private _batches;

    /// @notice The admin passed to the constructor is the zero address.
    error AuditLogInvalidAdmin(address admin);

    /// @notice The anchorer passed to the constructor is the zero address.
    error AuditLogInvalidAnchorer(address anchorer);

    /// @notice A zero root or decision hash was submitted.
    error AuditLogZeroRoot();

    /// @notice A batch with no leaves was submitted.
    error AuditLogZeroLeafCount();

    /// @notice The root (or decision hash) is already anchored; anchors are never overwritten.
    error AuditLogAlreadyAnchored(bytes32 root);

    /// @notice The batch's sequence range is reversed.
    error AuditLogInvalidSeqRange(uint64 firstSeq, uint64 lastSeq);

    /// @notice The root has not been anchored.
    error AuditLogNotAnchored(bytes32 root);

    /**
     * @notice A batch root was anchored. This event is the only record of the batch's leaf
     * count and sequence range: the contract stores only who anchored the root and when
     * (see {getBatch}).
     * @param root Merkle root of the batch.
     * @param leafCount Number of leaves in the tree.
     * @param firstSeq Sequence number of the first decision in the batch.
     * @param lastSeq Sequence number of the last decision in the batch.
     * @param submitter Account that anchored it.
     */
    event BatchAnchored(
        bytes32 indexed root,
        uint64 leafCount,
        uint64 firstSeq,
        uint64 lastSeq,
        address indexed submitter
    );

    /**
     * @notice A single decision hash was anchored (a one-leaf batch: leaf count 1, no
     * sequence range).
     * @param decisionHash The decision's hash, recorded as a root of a one-leaf batch.
     * @param submitter Account that anchored it.
     */
    event DecisionAnchored(bytes32 indexed decisionHash, address indexed submitter);

    /**
     * @notice Sets up the roles.
     * @param admin Receives `DEFAULT_ADMIN_ROLE`: grants and revokes anchorers.
     * @param anchorer Receives `ANCHORER_ROLE`: the first account allowed to anchor.
     */
    constructor(address admin, address anchorer) {
        if (admin == address(0)) revert AuditLogInvalidAdmin(admin);
        if (anchorer == address(0)) revert AuditLogInvalidAnchorer(anchorer);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, anchorer);
    }

    /**
     * @notice Anchors the Merkle root of a batch of decision records.
     * @dev Reverts with {AuditLogZeroRoot}, {AuditLogZeroLeafCount}, {AuditLogInvalidSeqRange}
     * (when `firstSeq > lastSeq`), {AuditLogAlreadyAnchored}, or AccessControl's
     * `AccessControlUnauthorizedAccount` when the sender lacks `ANCHORER_ROLE`.
     * The sequence range is not tied to `leafCount`: a batch may hold more leaves than
     * decisions (explanations and approvals are leaves of their own). `leafCount`, `firstSeq`
     * and `lastSeq` are not stored: they are recorded in the {BatchAnchored} event only, so the
     * cost is one new storage slot, one role lookup and one log whatever the batch size.
     * @param root Merkle root of the batch (a `StandardMerkleTree` root).
     * @param leafCount Number of leaves in the tree.
     * @param firstSeq Sequence number of the first decision in the batch.
     * @param lastSeq Sequence number of the last decision in the batch.
     */
    function anchorBatch(
        bytes32 root,
        uint64 leafCount,
        uint64 firstSeq,
        uint64 lastSeq
    ) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert AuditLogZeroRoot();
        if (leafCount == 0) revert AuditLogZeroLeafCount();
        if (firstSeq > lastSeq) revert AuditLogInvalidSeqRange(firstSeq, lastSeq);
        _record(root);
        emit BatchAnchored(root, leafCount, firstSeq, lastSeq, msg.sender);
    }

    /**
     * @notice Anchors a single decision hash (the simple mode: one transaction per decision).
     * @dev Recorded as a one-leaf batch whose root is `decisionHash`, so {isAnchored},
     * {getBatch} and {verifyLeaf} (with an empty proof) apply to it. It emits
     * {DecisionAnchored}, not {BatchAnchored}. Reverts with {AuditLogZeroRoot},
     * {AuditLogAlreadyAnchored} or `AccessControlUnauthorizedAccount`.
     * @param decisionHash The decision's hash.
     */
    function anchorDecision(bytes32 decisionHash) external onlyRole(ANCHORER_ROLE) {
        if (decisionHash == bytes32(0)) revert AuditLogZeroRoot();
        _record(decisionHash);
        emit DecisionAnchored(decisionHash, msg.sender);
    }

    /**
     * @notice Whether `root` (a batch root or a single decision hash) is anchored.
     * @param root The root to look up.
     * @return True once anchored; anchors are permanent.
     */
    function isAnchored(bytes32 root) external view returns (bool) {
        return _batches[root].submitter != address(0);
    }

    /**
     * @notice Who anchored `root`, and in which block and at what time.
     * @dev Reverts with {AuditLogNotAnchored} for a root that was never anchored, so a zero
     * timestamp is never mistaken for an anchoring time. A batch's leaf count and sequence range
     * are in its {BatchAnchored} event; a root anchored with {anchorDecision} is one leaf with no
     * sequence range.
     * @param root The root to look up.
     * @return The recorded batch.
     */
    function getBatch(bytes32 root) external view returns (Batch memory) {
        Batch memory batch = _batches[root];
        if (batch.submitter == address(0)) revert AuditLogNotAnchored(root);
        return batch;
    }

    /**
     * @notice Checks in one call that `leaf` belongs to the tree of an anchored `root`.
     * @dev `leaf` is the `StandardMerkleTree` leaf hash (double keccak of the ABI-encoded
     * values) and `proof` the sibling hashes from leaf to root, as
     * `StandardMerkleTree.getProof` returns them. Returns false, rather than reverting,
     * when the root is not anchored or the proof does not hold.
     * @param root Anchored root to check against.
     * @param leaf Leaf hash to check.
     * @param proof Sibling hashes from the leaf up to the root.
     * @return True only if `root` is anchored and `MerkleProof.verify(proof, root, leaf)` holds.
     */
    function verifyLeaf(bytes32 root, bytes32 leaf, bytes32[] calldata proof) external view returns (bool) {
        return _batches[root].submitter != address(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @dev Writes the root's slot in one SSTORE; the caller emits the event.
    function _record(bytes32 root) private {
        Batch storage batch = _batches[root];
        if (batch.submitter != address(0)) revert AuditLogAlreadyAnchored(root);
        // The struct's packed layout (submitter in the low 160 bits, then timestamp, then block
        // number), written whole: field by field, solc re-reads the slot and masks each field
        // (~190 gas more per anchor).
        uint256 packed = uint256(uint160(msg.sender)) |
            (uint256(uint48(block.timestamp)) << 160) |
            (uint256(uint48(block.number)) << 208);
        assembly ("memory-safe") {
            sstore(batch.slot, packed)
        }
    }
}
