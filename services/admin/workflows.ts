// Admin changes that touch several stores, each all or nothing: the admin record (hashed and
// anchored, so it cannot be taken back) is written last, and every earlier step is undone when a
// later one fails. Routers call these; they never sequence stores themselves.
import type { Model } from 'mongoose';
import type { AgentName, StationCapacity, StationRegistration, StationState } from '../../eventBus/types.js';
import type { AgentSettingDoc } from '../../models/index.js';
import type { ChargePointInfo, ChargePointService, DeviceKeyService, PublicUser, Role, UserService } from '../access/index.js';
import type { AdminAuditService } from '../audit/index.js';
import type { AgentChange, AgentRegistry, StationStore } from '../pipeline/index.js';
import { AppError } from '../platform/index.js';

export interface AdminWorkflowDeps {
  stations: Pick<StationStore, 'register' | 'unregister' | 'has' | 'setCapacity' | 'restoreCapacity'>;
  deviceKeys: Pick<DeviceKeyService, 'issue' | 'rotate' | 'revoke' | 'undo' | 'liveKeyIds'>;
  chargePoints: Pick<ChargePointService, 'register' | 'remove' | 'undo'>;
  users: Pick<UserService, 'create' | 'remove' | 'setDisabled'>;
  agents: Pick<AgentRegistry, 'preview' | 'apply' | 'save' | 'unsave' | 'describe'>;
  agentSettings: Model<AgentSettingDoc>;
  adminAudit: Pick<AdminAuditService, 'record'>;
  /** Told when an undo itself fails (the original error is still what the caller gets). */
  onError(err: unknown): void;
}

export class AdminWorkflows {
  constructor(private readonly deps: AdminWorkflowDeps) {}

  /** Runs `undo` steps (last first) when `step` throws, then rethrows the step's error. */
  private async orUndo<T>(step: () => Promise<T>, undo: (() => Promise<unknown>)[]): Promise<T> {
    try {
      return await step();
    } catch (err) {
      for (const u of undo.reverse()) await u().catch((e: unknown) => this.deps.onError(e));
      throw err;
    }
  }

  /** Registers a station with its first device key (shown once), recorded as the admin's. */
  async registerStation(by: string, reg: StationRegistration): Promise<{ state: StationState; deviceKey: string }> {
    const { stations, deviceKeys, adminAudit } = this.deps;
    const state = await stations.register(reg);
    const undo: (() => Promise<unknown>)[] = [() => stations.unregister(reg.id)];
    const issued = await this.orUndo(() => deviceKeys.issue(reg.id), undo);
    undo.push(() => deviceKeys.undo(issued));
    await this.orUndo(
      () =>
        adminAudit.record(by, 'station.register', reg.id, {
          name: reg.name,
          location: reg.location,
          capacity: reg.capacity,
          keyId: issued.keyId,
        }),
      undo,
    );
    return { state, deviceKey: issued.deviceKey };
  }

  /**
   * Changes a station's capacity (a new charger, more battery slots), recorded as the admin's with the
   * capacity before and after; the edge bounds chargers and packs by it (stationBounds.ts).
   */
  async changeCapacity(by: string, stationId: string, change: Partial<StationCapacity>): Promise<StationState> {
    const { stations, adminAudit } = this.deps;
    const { before, state } = await stations.setCapacity(stationId, change);
    await this.orUndo(
      () => adminAudit.record(by, 'station.capacity', stationId, { before, after: { ...state.capacity } }),
      [() => stations.restoreCapacity(stationId, before)],
    );
    return state;
  }

  /** Issues a device key beside the live ones, or rotates (the others are revoked). */
  async issueDeviceKey(by: string, stationId: string, rotate: boolean): Promise<{ keyId: string; deviceKey: string }> {
    const { deviceKeys, adminAudit } = this.deps;
    const revokedOthers = rotate ? await deviceKeys.liveKeyIds(stationId) : [];
    const issued = rotate ? await deviceKeys.rotate(stationId) : await deviceKeys.issue(stationId);
    await this.orUndo(
      () => adminAudit.record(by, rotate ? 'device_key.rotate' : 'device_key.issue', stationId, { keyId: issued.keyId }),
      [() => deviceKeys.undo({ keyId: issued.keyId, revokedOthers })],
    );
    return issued;
  }

  /** Revokes one key; answers how many this call revoked (0: it was revoked already). */
  async revokeDeviceKey(by: string, stationId: string, keyId: string): Promise<number> {
    const { deviceKeys, adminAudit } = this.deps;
    const revoked = await deviceKeys.revoke(stationId, keyId);
    // A revocation is not undone when its record fails: a key someone wanted dead stays dead, and
    // the admin's retry (revoked 0, nothing to record) is harmless. The error still reaches them.
    if (revoked > 0) await adminAudit.record(by, 'device_key.revoke', stationId, { keyId });
    return revoked;
  }

  /** Registers an OCPP charge point (its password is in this answer only), recorded as the admin's. */
  async registerChargePoint(
    by: string,
    stationId: string,
    input: { identity: string; connectors: number },
  ): Promise<{ chargePoint: ChargePointInfo; password: string }> {
    const { chargePoints, adminAudit } = this.deps;
    const made = await chargePoints.register(by, stationId, input);
    await this.orUndo(
      () => adminAudit.record(by, 'charge_point.register', stationId, { identity: input.identity, connectors: input.connectors }),
      [() => chargePoints.undo(stationId, input.identity)],
    );
    return made;
  }

  /** Removes a charge point (its connection closes at once); answers whether it was there. */
  async removeChargePoint(by: string, stationId: string, identity: string): Promise<boolean> {
    const { chargePoints, adminAudit } = this.deps;
    const removed = await chargePoints.remove(stationId, identity);
    // Like a key revocation: not undone when its record fails (a charger someone wanted out stays out).
    if (removed) await adminAudit.record(by, 'charge_point.remove', stationId, { identity });
    return removed;
  }

  /** Changes an agent: checked, saved, recorded, and only then in force for the next signals. */
  async updateAgent(by: string, name: AgentName, change: AgentChange): Promise<ReturnType<AgentRegistry['describe']>[number]> {
    const { agents, agentSettings, adminAudit } = this.deps;
    const next = agents.preview(name, change);
    const prev = await agents.save(agentSettings, next);
    await this.orUndo(() => adminAudit.record(by, 'agent.update', name, { ...change }), [() => agents.unsave(agentSettings, name, prev)]);
    agents.apply(next);
    return agents.describe().find((a) => a.name === name)!;
  }

  /** Creates a user (a generated password is returned once), recorded as the admin's. */
  async createUser(
    by: string,
    input: { email: string; password: string | null; role: Role; stationScope: string[] | 'all' },
  ): Promise<{ user: PublicUser; password: string | null }> {
    const { stations, users, adminAudit } = this.deps;
    if (Array.isArray(input.stationScope)) {
      const unknown = input.stationScope.filter((id) => !stations.has(id));
      if (unknown.length)
        throw new AppError(400, 'VALIDATION_FAILED', `"stationScope" names unknown stations: ${unknown.join(', ')}`, [
          { field: 'stationScope' },
        ]);
    }
    const created = await users.create(input);
    const { user } = created;
    await this.orUndo(
      () => adminAudit.record(by, 'user.create', user.id, { email: user.email, role: user.role, stationScope: user.stationScope }),
      [() => users.remove(user.id)],
    );
    return created;
  }

  async setUserDisabled(by: string, id: string, disabled: boolean): Promise<PublicUser> {
    const { users, adminAudit } = this.deps;
    const user = await users.setDisabled(id, disabled);
    await this.orUndo(
      () => adminAudit.record(by, disabled ? 'user.disable' : 'user.enable', user.id, { email: user.email }),
      [() => users.setDisabled(id, !disabled)],
    );
    return user;
  }
}
