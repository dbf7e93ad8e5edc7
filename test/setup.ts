// Root hooks: the shared in-process MongoDB wire server stops after the run.
import { stopEmbeddedMongo } from './helpers/app.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopEmbeddedMongo();
  },
};
