/** Root hooks of the integration suite (loaded through .mocharc.json's `require`). */
import { removeTempDirs } from './helpers.js';

export const mochaHooks = {
  afterAll(): void {
    removeTempDirs();
  },
};
