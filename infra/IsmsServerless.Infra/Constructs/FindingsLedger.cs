using Amazon.CDK;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Constructs;
using IsmsServerless.Ledger;
using Attribute = Amazon.CDK.AWS.DynamoDB.Attribute;

namespace IsmsServerless.Infra.Constructs;

public sealed class FindingsLedgerProps
{
    public required IKey EncryptionKey { get; init; }
}

/// <summary>The findings ledger: the system of record and audit evidence. Layout in <see cref="LedgerSchema"/>.</summary>
public sealed class FindingsLedger : Construct
{
    public Table Table { get; }

    public FindingsLedger(Construct scope, string id, FindingsLedgerProps props) : base(scope, id)
    {
        Table = new Table(this, "Table", new TableProps
        {
            PartitionKey = new Attribute { Name = LedgerSchema.PartitionKey, Type = AttributeType.STRING },
            SortKey = new Attribute { Name = LedgerSchema.SortKey, Type = AttributeType.STRING },
            BillingMode = BillingMode.PAY_PER_REQUEST,
            PointInTimeRecovery = true,
            DeletionProtection = true,
            Encryption = TableEncryption.CUSTOMER_MANAGED,
            EncryptionKey = props.EncryptionKey,
            Stream = StreamViewType.NEW_AND_OLD_IMAGES,
            TimeToLiveAttribute = LedgerSchema.TimeToLive,
            // Audit evidence outlives the stack: cdk destroy leaves the table (see docs/deploy.md).
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        foreach (var (name, pk, sk) in LedgerSchema.GlobalSecondaryIndexes)
        {
            Table.AddGlobalSecondaryIndex(new GlobalSecondaryIndexProps
            {
                IndexName = name,
                PartitionKey = new Attribute { Name = pk, Type = AttributeType.STRING },
                SortKey = new Attribute { Name = sk, Type = AttributeType.STRING },
                ProjectionType = ProjectionType.ALL,
            });
        }
    }

    /// <summary>Read and write items (no Scan, no table management). Table.GrantReadWriteData would also grant Scan.</summary>
    public void GrantReadWrite(IGrantable grantee)
    {
        Table.Grant(grantee, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
            "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable");
        Table.EncryptionKey?.Grant(grantee, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey");
    }

    /// <summary>Read items with Get and Query only.</summary>
    public void GrantRead(IGrantable grantee)
    {
        Table.Grant(grantee, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable");
        Table.EncryptionKey?.Grant(grantee, "kms:Decrypt", "kms:DescribeKey");
    }
}
