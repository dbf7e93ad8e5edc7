// The composition root: reads config, builds every dependency, wires the bus,
// starts HTTP + Socket.io. `createApp(deps)` is what tests build on.
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as IoServer } from 'socket.io';

import { ConfigError, readTls, type Config } from './config/index.js';
import { createEventBus, type ListenerErrorSink } from './eventBus/index.js';
import type { AgentThresholds } from './eventBus/types.js';
import { createModels, type DecisionLogDoc, type SignalLogDoc } from './models/index.js';
import { createNotificationPrefsModel } from './models/notificationPrefs.js';
import { DEFAULT_POLICY, DEFAULT_THRESHOLDS } from './agents/index.js';
import { BatchWriter, HealthService, LoopLag, createMetrics, insertIgnoringDuplicates, pingMongo } from './services/platform/index.js';
import {
  AgentRegistry,
  ApprovalService,
  DecisionWorker,
  DecisionLogger,
  DecisionQuery,
  IngestionService,
  PlanReleaseService,
  StationStore,
  StreamPipeline,
  attachDecisionEffects,
  mergeThresholds,
  MongoSignalStore,
  SignalLogQuery,
  nearbyReach,
} from './services/pipeline/index.js';
import { AdminAuditService, AnchoringService, AuditQuery, type ChainTarget } from './services/audit/index.js';
import {
  ChargePointService,
  DEVICE_KEY_DEFAULTS,
  DeviceKeyService,
  OTP_DEFAULTS,
  OtpService,
  SignalGate,
  TokenService,
  Revocations,
  UserService,
  createLimiters,
  slowdownMs,
  inAppOtpDelivery,
  otpSealer,
  loadOrCreateSecret,
} from './services/access/index.js';
import { ChatService, DEFAULT_CHAT_LIMITS, ExplainabilityService, TEMPLATE_EXPLAINER, createLlmClient } from './services/llm/index.js';
import { NotificationService, PushService } from './services/notify/index.js';
import { AdminWorkflows } from './services/admin/index.js';
import { ActuationService, firstServing } from './services/actuation/index.js';
import { OCPP_PATH, createOcppEdge, type PeerBus } from './ocpp/index.js';
import { mountApi } from './routes/index.js';
import { attachChat } from './socket/chat.js';
import { attachIngest } from './socket/ingest.js';
import { attachDashboard, dashboardDelivery } from './socket/dashboard.js';
import { anchoringLease, clusterOptions, createStreamLog, syncStations } from './services/cluster/index.js';
import { MAX_SOCKETS_PER_SUBJECT, SocketQuota } from './socket/session.js';
import type { App, AppDeps, AppServices } from './appTypes.js';

export type { App, AppDeps, AppServices } from './appTypes.js';

export function chainTargetFromConfig(config: Config): ChainTarget | null {
  if (config.chainMode !== 'rpc' || !config.chainRpcUrl || !config.anchorPrivateKey) return null;
  return {
    rpcUrl: config.chainRpcUrl,
    privateKey: config.anchorPrivateKey,
    contract: config.auditContractAddress,
    embedded: false,
    publicRpcUrl: config.chainPublicRpcUrl ?? undefined,
  };
}

export async function createApp(deps: AppDeps): Promise<App> {
  const { config, conn, cache, logger } = deps;
  const bus = deps.bus ?? createEventBus();
  const models = createModels(conn);
  await Promise.all(Object.values(models).map((m) => m.init()));
  // Signal ids were unique across stations before 2026-12-01; a database from then still holds that
  // index, which would refuse two stations' equal ids. Dropped once; absent, nothing happens.
  await Promise.all([models.SignalLog, models.EnergyMarket].map((m) => m.collection.dropIndex('signalId_1').catch(() => undefined)));
  const metrics = createMetrics();
  const report: ListenerErrorSink = (where, err) => {
    metrics.errors.inc({ where });
    logger.error({ err, where }, 'background error');
  };
  const onError = (where: string) => (err: unknown) => report(where, err);

  const retentionS = config.signalRetentionH * 3600;
  const signalStore = deps.signals ?? (await MongoSignalStore.open(models, retentionS));
  const writer = <T>(name: string, insert: (docs: T[]) => Promise<void>) => {
    const w: BatchWriter<T> = new BatchWriter<T>({
      name,
      lingerMs: config.signalFlushMs,
      maxBatch: config.signalFlushMax,
      insert,
      onError: (err, attempt) => {
        metrics.errors.inc({ where: `${name}.insert` });
        logger.warn({ err, attempt, backlog: w.backlog }, `${name} insert failed; will retry`);
      },
    });
    metrics.backlogSources.set(name, () => w.backlog);
    return w;
  };
  const signalLog = writer<SignalLogDoc>('signalLog', (docs) => signalStore.insert(docs));
  const decisionLog = writer<DecisionLogDoc>('decisionLog', (docs) => insertIgnoringDuplicates(models.DecisionLog, docs));
  const writeBacklog = () => signalLog.backlog + decisionLog.backlog;
  // Past the retention window raw signals go; MongoDB's TTL index does it by itself, the journal here.
  const pruneSignals = () =>
    signalStore
      .prune(new Date(Date.now() - retentionS * 1000))
      .then(
        (n) => n && logger.info({ removed: n, retentionH: config.signalRetentionH }, 'signals past the retention window dropped'),
        onError('signals.prune'),
      );
  const pruneTimer = signalStore.kind === 'embedded' ? setInterval(() => void pruneSignals(), 60_000) : null;
  pruneTimer?.unref();
  // In the background: after a long stop the first prune may have days to drop, and ready must not wait.
  if (pruneTimer) void pruneSignals();

  let thresholds: AgentThresholds;
  try {
    thresholds = mergeThresholds(DEFAULT_THRESHOLDS, config.agentThresholds);
  } catch (err) {
    throw new ConfigError(`invalid configuration:\n  ${err instanceof Error ? err.message : String(err)}`);
  }
  const agents = new AgentRegistry(thresholds, DEFAULT_POLICY);
  agents.attach(bus, report);
  await agents.restore(models.AgentSetting);

  const stations = new StationStore({
    models,
    cache,
    flushMs: config.stateFlushMs,
    ...nearbyReach(thresholds),
    partitions: config.streamPartitions,
    onError: onError('stationStore.flush'),
  });
  await stations.load();
  // The agents and the supervisor run on their own thread, over a copy of the states folded from the
  // same signals (services/pipeline/decisionWorker.ts): answering senders never waits behind them.
  const decider = new DecisionWorker({
    reach: nearbyReach(thresholds),
    warmUp: config.decideWarmUp,
    settings: () => ({
      thresholds: agents.thresholds,
      policy: agents.policy,
      policyVersion: agents.policyVersion,
      disabled: agents.disabled(),
    }),
    states: () => stations.list(),
    applied: (signal, step, receivedAt) => ingestion.applied(signal, step, receivedAt),
    onError: onError('decider'),
  });
  // Started now, awaited before the first signal: the thread loads its modules while the rest starts.
  const deciderStarted = decider.start();
  stations.replicateTo(decider);
  const recentIds = deps.recentIds;
  const reloaded = await IngestionService.reloadRecentIds(
    recentIds ? { recentIds: () => recentIds } : signalStore,
    cache,
    config.dedupeReloadLimit,
    config.dedupeTtlS,
  );
  if (reloaded) logger.info({ reloaded }, 'recent signal ids reloaded into the dedupe cache');

  const loopLag = new LoopLag();
  const ingestion = new IngestionService({
    bus,
    cache,
    stations,
    signalLog,
    metrics,
    backlog: writeBacklog,
    maxBacklog: config.writeBacklogMax,
    decider,
    maxInFlight: config.ingestInFlightMax,
    loopLagMs: () => loopLag.ms,
    shedLagMs: config.shedLagMs,
    dedupeTtlS: config.dedupeTtlS,
    onError: onError('ingestion'),
  });
  if (cache.kind === 'redis' && !config.mongodbUri)
    logger.warn(
      'REDIS_URL with the embedded database: run one instance only (several would split the stations between databases); several instances need one MONGODB_URI',
    );
  // With Redis, instances may share the database: one of them at a time numbers the leaves and anchors.
  const anchorLease = anchoringLease(cache, config.streamLeaseMs, logger.child({ component: 'anchoring' }), onError('anchoringLease'));
  const anchoring = new AnchoringService({
    ...(anchorLease ? { lease: anchorLease } : {}),
    models,
    bus,
    metrics,
    logger,
    batchMs: config.anchorBatchMs,
    batchMax: config.anchorBatchMax,
    chain: deps.chain === undefined ? chainTargetFromConfig(config) : deps.chain,
    onError: onError('anchoring'),
  });
  await anchoring.init();
  const decisionLogger = new DecisionLogger({
    bus,
    writer: decisionLog,
    metrics,
    anchoring,
    template: TEMPLATE_EXPLAINER,
    onError: onError('decisionLogger'),
  });
  decisionLogger.attach();
  const decisions = new DecisionQuery(models, decisionLogger, anchoring);
  const approvals = new ApprovalService({ models, bus, logger: decisionLogger, anchoring, stations, ingestion });
  const llm = deps.llm ?? createLlmClient(config, logger);
  const explainability = new ExplainabilityService({
    bus,
    models,
    llm,
    stations,
    decisions: decisionLogger,
    anchoring,
    metrics,
    logger,
    onError: onError('explainability'),
  });
  explainability.attach();
  const audit = new AuditQuery(models, decisions, anchoring, Math.ceil(config.anchorBatchMs / 1000) + 1);
  const chat = new ChatService({
    sources: { stations, decisions, audit, agents },
    llm,
    logger: logger.child({ component: 'chat' }),
    limits: DEFAULT_CHAT_LIMITS,
  });

  attachDecisionEffects(bus, stations, report);
  await deciderStarted;
  // OCPP charge points: their messages come in through ingestion like any signal; stations with charge
  // points are carried out over OCPP, the others by the configured actuator (the demo's simulator) or recorded only.
  const revocations = new Revocations();
  const chargePoints = new ChargePointService({ model: models.ChargePoint, stations, now: () => new Date(), revocations });
  await chargePoints.load();
  const ocppEdge = createOcppEdge({
    chargePoints,
    ingest: (raws, receivedAt) => ingestion.ingest(raws, receivedAt),
    revocations,
    metrics,
    logger: logger.child({ component: 'ocpp' }),
    heartbeatS: config.ocppHeartbeatS,
    messagesPerS: config.ocppMessagesPerS,
    actuationTimeoutMs: config.actuationTimeoutMs,
    clustered: cache.kind === 'redis',
    planOf: (stationId) => stations.get(stationId)?.plan,
    onError: onError('ocpp'),
  });
  const { centralSystem: ocpp, actuator: ocppActuator } = ocppEdge;
  const actuator = firstServing(deps.actuator ? [ocppActuator, deps.actuator] : [ocppActuator]);
  const actuation = new ActuationService({
    bus,
    actuator,
    models,
    anchoring,
    decisionHash: async (id) => (await decisions.getDoc(id))?.hash ?? null,
    refused: async (signal) => {
      const refused = (await ingestion.ingestOwn(signal, performance.now())).rejected[0];
      if (refused) throw new Error(`the actuation_outcome signal was refused: ${refused.error.field}: ${refused.error.message}`);
    },
    stationTime: (id) => stations.get(id)?.updatedAt ?? null,
    metrics,
    timeoutMs: config.actuationTimeoutMs,
    maxPending: config.actuationMaxPending,
    report,
  });
  actuation.attach(stations.list());

  const health = new HealthService();
  health.register('db', async () => ((await pingMongo(conn)) ? { state: deps.embedded?.db ? 'embedded' : 'up' } : { state: 'down' }));
  health.register('cache', async () => ((await cache.ping()) ? { state: cache.kind === 'memory' ? 'embedded' : 'up' } : { state: 'down' }));
  health.register('writes', async () => {
    const backlog = writeBacklog();
    const full = backlog >= config.writeBacklogMax;
    const failing = signalLog.failing || decisionLog.failing;
    return {
      // Full: ingestion refuses signals (BACKPRESSURE), so the copilot is not ready for more.
      state: full ? 'down' : failing ? 'degraded' : 'up',
      detail: `${backlog} documents waiting (bound ${config.writeBacklogMax})${full ? ': refusing signals' : ''}`,
    };
  });
  health.register('decider', async () => {
    const taken = ingestion.taken;
    const full = taken >= config.ingestInFlightMax;
    const detail =
      `${decider.backlog} signals being decided; ${taken} taken and not yet answered (bound ${config.ingestInFlightMax})` +
      (decider.restarted ? `; the worker was started again ${decider.restarted} times` : '');
    // Full, or no worker: ingestion refuses signals (BACKPRESSURE) until it catches up.
    return { state: full || !decider.running ? 'down' : 'up', detail: full ? `${detail}: refusing signals` : detail };
  });
  health.register('chain', async () => anchoring.health());
  health.register('actuator', async () =>
    deps.actuator || chargePoints.stationCount > 0
      ? {
          state: 'up',
          detail: `${deps.actuator ? `${deps.actuator.name}; ` : ''}OCPP at ${chargePoints.stationCount} stations; ${actuation.backlog} plan changes waiting for an answer, ${ocppActuator.waitingCount} commands waiting for a charge point to connect`,
        }
      : { state: 'not_configured', detail: 'no actuator: decisions are recorded, not carried out (no simulation, no OCPP charge points)' },
  );
  health.register('ocpp', async () => ({
    state: 'up',
    detail: `${ocpp.connectedCount} charge points connected at ${OCPP_PATH}/<identity>`,
  }));
  health.register('llm', async () => {
    const st = llm.stats();
    if (!llm.configured) return { state: 'template', detail: 'no GROQ_API_KEY: template explanations, fallback chat' };
    const detail = `${st.model}; breaker ${st.state}; ${st.running} running, ${st.queued} queued`;
    return {
      state: st.state === 'closed' ? 'up' : 'degraded',
      detail: st.state === 'closed' ? detail : `${detail}: template explanations and fallback chat meanwhile`,
    };
  });

  const users = new UserService(models, revocations);
  await users.load();
  const tokens = new TokenService(models, loadOrCreateSecret(deps.secretsDir ?? null, 'jwt-secret', config.jwtSecret), {
    accessS: config.accessTokenTtlS,
    refreshS: config.refreshTokenTtlS,
  });

  const deviceKeys = new DeviceKeyService({
    model: models.DeviceKey,
    stations,
    now: () => new Date(),
    ...DEVICE_KEY_DEFAULTS,
    onError: onError('deviceKeys'),
    revocations,
  });
  const otpSecret = loadOrCreateSecret(deps.secretsDir ?? null, 'otp-secret', null);
  const otpSeal = otpSealer(otpSecret);
  const otp = new OtpService({
    otpCodes: models.OtpCode,
    users: models.User,
    secret: otpSecret,
    deliver: inAppOtpDelivery({
      notifications: models.Notification,
      logger: logger.child({ component: 'otp' }),
      now: () => new Date(),
      ttlMs: OTP_DEFAULTS.ttlMs,
      seal: otpSeal.seal,
    }),
    now: () => new Date(),
    onError: onError('otp'),
    ...OTP_DEFAULTS,
  });
  const adminAudit = new AdminAuditService({ models, anchoring });
  const push = new PushService({
    model: models.Sub,
    dataDir: deps.secretsDir ?? null,
    vapid:
      config.vapidPublicKey && config.vapidPrivateKey ? { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey } : null,
    subject: config.vapidSubject,
    allowPrivateEndpoints: config.pushAllowPrivateEndpoints,
    ...(deps.pushAgent ? { agent: deps.pushAgent } : {}),
  });
  health.register('push', () => push.health());
  // HTTP and Socket.io exist before the services that talk through them (notifications reach dashboards).
  const app = express();
  // Off by default: behind a proxy, TRUST_PROXY names it, so rate limits and logs see the client, not the proxy.
  app.set('trust proxy', config.trustProxy);
  // With a certificate, HTTPS: the API, Socket.io and OCPP (security profile 2) over TLS on the same port.
  const http = config.tls ? createHttpsServer(readTls(config.tls), app) : createServer(app);
  const cluster = clusterOptions(cache);
  const io = new IoServer(http, {
    ...cluster.options,
    // Upgrades for other paths (OCPP at /ocpp/) are not Socket.io's to end.
    destroyUpgrade: false,
    serveClient: false,
    maxHttpBufferSize: 1e6,
    cors: config.corsOrigins.length ? { origin: config.corsOrigins } : undefined,
  });
  const notifications = new NotificationService({
    models,
    prefs: createNotificationPrefsModel(conn),
    users,
    logger,
    deliver: dashboardDelivery(io.of('/dashboard')),
    push: (userId, p) => push.send(userId, p),
    open: otpSeal.open,
    ...(cache.kind === 'redis'
      ? { claim: async (key: string, ttlMs: number) => (await cache.claim([`notify:${key}`], Math.ceil(ttlMs / 1000)))[0] === true }
      : {}),
  });
  await notifications.load();
  notifications.attach(bus, report);
  const limits = createLimiters(cache, {
    loginPerAccount: { points: config.rateLoginPerAccount, durationS: 15 * 60 },
    loginPerIp: { points: config.rateLoginPerIp, durationS: 15 * 60 },
    chatPerUser: { points: config.rateChatPerMin, durationS: 60 },
    signalsPerDevice: { points: config.rateSignalsPerS, durationS: 1 },
  });

  const admin = new AdminWorkflows({
    stations,
    deviceKeys,
    chargePoints,
    users,
    agents,
    agentSettings: models.AgentSetting,
    adminAudit,
    onError: onError('admin.undo'),
  });
  const gate = new SignalGate({ deviceKeys, ingestion, signalsPerDevice: limits.signalsPerDevice });
  const identity = { tokens, users, revocations };
  const services: AppServices = {
    ingestion,
    streamLog: null,
    anchoringLease: anchorLease,
    stations,
    decisions,
    anchoring,
    approvals,
    actuation,
    chargePoints,
    ocpp,
    ocppActuator,
    audit,
    chat,
    users,
    tokens,
    limits,
    deviceKeys,
    otp,
    adminAudit,
    admin,
    push,
    notifications,
    agents,
    health,
    metrics,
  };

  mountApi(app, {
    corsOrigins: config.corsOrigins,
    metrics,
    identity,
    auth: {
      users,
      tokens,
      otp,
      loginPerAccount: limits.loginPerAccount,
      loginPerIp: limits.loginPerIp,
      loginAccountWide: limits.loginAccountWide,
      slowdownMs: (n) => slowdownMs(n, config.rateLoginPerAccount),
      admin,
    },
    system: { health, agents, admin },
    gate,
    stations: {
      stations,
      admin,
      policyVersion: () => agents.policyVersion,
      releases: new PlanReleaseService({ stations, ingestion, decisions }),
      actuation: {
        actuatorOf: (stationId) => actuation.actuatorOf(stationId),
        executionOf: (stationId, actionId) => actuation.executionOf(stationId, actionId),
      },
    },
    decisions: { decisions, approvals },
    audit: { audit, adminAudit, decisions, signals: new SignalLogQuery(signalStore) },
    chat: { chat, chatPerUser: limits.chatPerUser },
    deviceKeys: { deviceKeys, admin },
    chargePoints: { chargePoints, admin, connected: (identity) => ocpp.isConnected(identity) },
    push: { push },
    notifications: { notifications },
    console: { dir: deps.consoleDir, rpcUrl: () => anchoring.contract?.rpcUrl ?? null },
    onError: onError('http'),
  });

  ocppEdge.attach(http, io as unknown as PeerBus);
  // Sockets open at once per user or device key, across the three namespaces.
  const quota = new SocketQuota(MAX_SOCKETS_PER_SUBJECT);
  attachIngest(io.of('/ingest'), { identity, gate, onError: onError('socket.ingest'), quota });
  const stopDashboard = attachDashboard(io.of('/dashboard'), { identity, bus, stations, report, quota, clustered: cache.kind === 'redis' });
  attachChat(io.of('/chat'), { identity, chat, chatPerUser: limits.chatPerUser, onError: onError('socket.chat'), quota });
  anchoring.start();
  await anchorLease?.start(anchoring);
  // Database or chain going down, or anchoring falling behind, notifies: read every 30 s.
  const healthWatch = setInterval(() => {
    notifications.onAnchorBacklog(anchoring.backlog, config.anchorBacklogAlert);
    health.report().then(
      (r) => notifications.onHealth(r.parts),
      (err: unknown) => logger.error({ err }, 'health watch failed'),
    );
  }, 30_000);
  healthWatch.unref();

  // SIGNAL_LOG=stream: senders are answered once their signals are in the Redis stream; the partitions
  // this instance holds are worked from there, through every listener attached above.
  const streamLog =
    config.signalLog === 'stream'
      ? await createStreamLog({
          cache,
          partitions: config.streamPartitions,
          leaseMs: config.streamLeaseMs,
          partitionOf: (id) => stations.partitionOf(id),
          pipeline: new StreamPipeline({
            stations,
            ingestion,
            decisions: decisionLogger,
            models,
            signals: signalStore,
            onError: onError('streamLog'),
          }),
          logger: logger.child({ component: 'streamLog' }),
        })
      : null;
  if (streamLog) {
    services.streamLog = streamLog;
    ingestion.appendTo(streamLog);
    stations.writeOnly((id) => streamLog.consumer.works(stations.partitionOf(id)));
    health.register('stream', async () => streamLog.health());
    await streamLog.start();
  }

  // Stations registered, removed or resized elsewhere are taken in here (with Redis).
  const stationSync = await syncStations(cache, stations, onError('stationSync'));
  stations.onChanged(() => stationSync.announce());

  let closed = false;
  return {
    app,
    http,
    io,
    bus,
    services,
    models,
    listen: () =>
      new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.port, config.host, () => {
          const { port } = http.address() as AddressInfo;
          resolve(`${config.tls ? 'https' : 'http'}://${config.host}:${port}`);
        });
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(healthWatch);
      stopDashboard();
      stationSync.stop();
      notifications.stop();
      // Stop intake first (no new connections or sockets), then drain what was
      // acknowledged or is being answered, then let the last connections go.
      const ioClosed = new Promise<void>((resolve) => io.close(() => resolve()));
      await ocppEdge.close();
      // Answers still coming may put refusals into the signal log: wait for them before closing it.
      await actuation.idle();
      // The partitions' work in hand finishes and their leases go back, for another instance to take now.
      await streamLog?.stop();
      // What was taken is decided (its decisions reach the decision log) before the logs close.
      await decider.close();
      if (pruneTimer) clearInterval(pruneTimer);
      loopLag.stop();
      await Promise.all([signalLog.close(), decisionLog.close()]);
      await signalStore.close();
      await actuation.close();
      await Promise.all([stations.close(), anchoring.close(), llm.close(), otp.idle()]);
      // Given back once the batches are stored, for another instance to take over at once.
      await anchorLease?.stop();
      http.closeIdleConnections();
      const grace = setTimeout(() => http.closeAllConnections(), 2000);
      await ioClosed;
      cluster.close();
      clearTimeout(grace);
      bus.removeAllListeners();
    },
  };
}
