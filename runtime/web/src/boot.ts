// The page's first requests, before the main script has run (index.html
// loads this small script with `async`): see startEarlyRequests in api.ts.

import { startEarlyRequests } from './api';

startEarlyRequests();
