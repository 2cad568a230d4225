// Loaded into each service `npm run dev` starts (node --import): the service exits when its runner
// is gone, even one killed outright (SIGKILL), instead of living on with its port taken.
process.on('disconnect', () => process.exit(0));
