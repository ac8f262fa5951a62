import 'reflect-metadata';
import http from 'node:http';
import https from 'node:https';

// Jest runs several test files in one worker process, each with its own module registry but the
// same node:http. Every file loads its own nock, which hooks node:http on top of the previous
// file's; the oldest hook decides first and would refuse what the current file mocks. So the
// untouched functions are kept on the shared module and put back before this file's nock loads.
type Hooked = { request: unknown; get: unknown; ClientRequest?: unknown };
const keep = http as unknown as { __unhooked?: { http: Hooked; https: Hooked } };
if (!keep.__unhooked) {
  keep.__unhooked = {
    http: { request: http.request, get: http.get, ClientRequest: http.ClientRequest },
    https: { request: https.request, get: https.get },
  };
} else {
  Object.assign(http, keep.__unhooked.http);
  Object.assign(https, keep.__unhooked.https);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nock = require('nock') as typeof import('nock');

// No test may reach the internet; local servers (test hubs, fakes) stay reachable.
nock.disableNetConnect();
nock.enableNetConnect(/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/);
process.env.LOG_LEVEL ??= 'silent';
