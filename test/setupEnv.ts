// Tests never talk to real AWS: fixed fake credentials (s3rver's) and region, no profile.
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
process.env.AWS_REGION = 'us-east-1';
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
