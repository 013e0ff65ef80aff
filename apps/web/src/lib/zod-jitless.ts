import { z } from 'zod';

// Zod compiles object parsers with `new Function` where it may, and first probes with
// `Function('')`. The console's Content-Security-Policy allows no eval, so in the browser that
// probe is a reported violation; parsing is just as correct without compiled parsers.
z.config({ jitless: true });
