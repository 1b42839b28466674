// oxbow's public library API.

export * from './errors.js';
export * from './time.js';
export * from './logger.js';
export * from './events.js';
export * from './archive-fs.js';
export * from './archive/index.js';
export * from './engine/index.js';
export * from './retry.js';
export * from './job/index.js';
