using JobScheduler.Server;

var app = JobSchedulerServer.Build(args);
await app.RunAsync();
