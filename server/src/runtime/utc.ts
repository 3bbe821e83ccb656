// The corpus stores `timestamp` without a zone, holding UTC wall time, and postgres.js reads and
// writes those as JS Dates in the process's local zone: under TZ=America/New_York every instant
// it parsed would be four or five hours off. rapfs runs in UTC whatever the host's zone.
process.env.TZ = "UTC";
