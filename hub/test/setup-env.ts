import 'reflect-metadata';
import nock from 'nock';

// No test may reach the internet; local servers (test hubs, fakes) stay reachable.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
process.env.LOG_LEVEL ??= 'silent';
