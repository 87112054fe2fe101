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
                ProjectionType = LedgerSchema.IndexProjection == "KEYS_ONLY" ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
            });
        }
    }

    /// <summary>Read and write items (no Scan, no table management). Table.GrantReadWriteData would also grant Scan.</summary>
    public void GrantReadWrite(IGrantable grantee)
    {
        Grant(grantee, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
            "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable");
        GrantKey(grantee, write: true);
    }

    /// <summary>Read items with Get and Query only.</summary>
    public void GrantRead(IGrantable grantee)
    {
        Grant(grantee, "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable");
        GrantKey(grantee, write: false);
    }

    /// <summary>
    /// Item actions on the table and its named indexes. Table.Grant would grant on <c>&lt;table&gt;/index/*</c>;
    /// naming each index of <see cref="LedgerSchema.GlobalSecondaryIndexes"/> leaves no wildcard for cdk-nag IAM5 and
    /// no access to an index someone adds later without a grant.
    /// </summary>
    public void Grant(IGrantable grantee, params string[] actions)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        var resources = new List<string> { Table.TableArn };
        resources.AddRange(LedgerSchema.GlobalSecondaryIndexes.Select(i => $"{Table.TableArn}/index/{i.Name}"));
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps { Actions = actions, Resources = [.. resources] }));
    }

    /// <summary>
    /// The key actions DynamoDB performs with the caller's permissions on a table encrypted with a customer managed key:
    /// kms:Decrypt to read, and kms:Encrypt / kms:GenerateDataKey to write
    /// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html), only through DynamoDB
    /// (kms:ViaService). No ReEncrypt, no GenerateDataKey* variants (WithoutPlaintext, Pair), no DescribeKey.
    /// </summary>
    public void GrantKey(IGrantable grantee, bool write)
    {
        ArgumentNullException.ThrowIfNull(grantee);
        if (Table.EncryptionKey is not { } key) return;
        var stack = Stack.Of(this);
        grantee.GrantPrincipal.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = write ? ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"] : ["kms:Decrypt"],
            Resources = [key.KeyArn],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = new Dictionary<string, object> { ["kms:ViaService"] = $"dynamodb.{stack.Region}.amazonaws.com" },
            },
        }));
    }
}
