// The AWS SDK for JavaScript v3 as an application uses it: no credentials or endpoint in code, the default chain
// (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) and AWS_ENDPOINT_URL from the environment.
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';

const s3 = new S3Client({});
const { Buckets = [] } = await s3.send(new ListBucketsCommand({}));
for (const bucket of Buckets) console.log(bucket.Name);
