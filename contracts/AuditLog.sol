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
 */
contract AuditLog is AccessControl {
    /// @notice Role allowed to anchor roots and decisions. Managed by `DEFAULT_ADMIN_ROLE`.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /**
     * @notice What is recorded about an anchored root.
     * @param submitter Account that anchored the root (never zero for an anchored root).
     * @param timestamp Timestamp of the block that anchored it.
     * @param blockNumber Number of the block that anchored it.
     * @param leafCount Number of leaves in the tree (1 for a single decision).
     * @param firstSeq Sequence number of the first decision in the batch (0 for a single decision).
     * @param lastSeq Sequence number of the last decision in the batch (0 for a single decision).
     * @param metadataHash Hash of the batch's off-chain metadata (zero for a single decision).
     */
    struct Batch {
        address submitter;
        uint48 timestamp;
        uint48 blockNumber;
        uint64 leafCount;
        uint64 firstSeq;
        uint64 lastSeq;
        bytes32 metadataHash;
    }

    mapping(bytes32 root => Batch) private _batches;
    uint256 private _batchCount;

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
     * @notice A batch root was anchored.
     * @param root Merkle root of the batch.
     * @param leafCount Number of leaves in the tree.
     * @param firstSeq Sequence number of the first decision in the batch.
     * @param lastSeq Sequence number of the last decision in the batch.
     * @param metadataHash Hash of the batch's off-chain metadata.
     * @param submitter Account that anchored it.
     */
    event BatchAnchored(
        bytes32 indexed root,
        uint64 leafCount,
        uint64 firstSeq,
        uint64 lastSeq,
        bytes32 metadataHash,
        address indexed submitter
    );

    /**
     * @notice A single decision hash was anchored.
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
     * decisions (explanations and approvals are leaves of their own).
     * @param root Merkle root of the batch (a `StandardMerkleTree` root).
     * @param leafCount Number of leaves in the tree.
     * @param firstSeq Sequence number of the first decision in the batch.
     * @param lastSeq Sequence number of the last decision in the batch.
     * @param metadataHash Hash of the batch's off-chain metadata (may be zero).
     */
    function anchorBatch(
        bytes32 root,
        uint64 leafCount,
        uint64 firstSeq,
        uint64 lastSeq,
        bytes32 metadataHash
    ) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert AuditLogZeroRoot();
        if (leafCount == 0) revert AuditLogZeroLeafCount();
        if (firstSeq > lastSeq) revert AuditLogInvalidSeqRange(firstSeq, lastSeq);
        _record(root, leafCount, firstSeq, lastSeq, metadataHash);
        emit BatchAnchored(root, leafCount, firstSeq, lastSeq, metadataHash, msg.sender);
    }

    /**
     * @notice Anchors a single decision hash (the simple mode: one transaction per decision).
     * @dev Recorded as a one-leaf batch whose root is `decisionHash`, so {isAnchored},
     * {getBatch} and {verifyLeaf} (with an empty proof) apply to it. Reverts with
     * {AuditLogZeroRoot}, {AuditLogAlreadyAnchored} or `AccessControlUnauthorizedAccount`.
     * @param decisionHash The decision's hash.
     */
    function anchorDecision(bytes32 decisionHash) external onlyRole(ANCHORER_ROLE) {
        if (decisionHash == bytes32(0)) revert AuditLogZeroRoot();
        _record(decisionHash, 1, 0, 0, bytes32(0));
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
     * @notice What was recorded when `root` was anchored.
     * @dev Reverts with {AuditLogNotAnchored} for a root that was never anchored, so a zero
     * timestamp is never mistaken for an anchoring time.
     * @param root The root to look up.
     * @return The recorded batch.
     */
    function getBatch(bytes32 root) external view returns (Batch memory) {
        Batch memory batch = _batches[root];
        if (batch.submitter == address(0)) revert AuditLogNotAnchored(root);
        return batch;
    }

    /**
     * @notice Number of roots anchored so far, batches and single decisions together.
     * @return The count.
     */
    function batchCount() external view returns (uint256) {
        return _batchCount;
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

    function _record(bytes32 root, uint64 leafCount, uint64 firstSeq, uint64 lastSeq, bytes32 metadataHash) private {
        if (_batches[root].submitter != address(0)) revert AuditLogAlreadyAnchored(root);
        _batches[root] = Batch({
            submitter: msg.sender,
            timestamp: uint48(block.timestamp),
            blockNumber: uint48(block.number),
            leafCount: leafCount,
            firstSeq: firstSeq,
            lastSeq: lastSeq,
            metadataHash: metadataHash
        });
        unchecked {
            ++_batchCount;
        }
    }
}
