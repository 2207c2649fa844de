// Tests never reach AWS: dummy credentials and a fixed region, so an SDK client that escapes a
// test's endpoint override fails fast instead of finding real credentials on the machine.
process.env.AWS_REGION ??= 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
