// A Go CDK app using OutboundCaller from the generated Go module (see README, "Other languages").
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/example/cdk-connect-outbound-caller-go/cdkconnectoutboundcaller"
)

const instance = "10a4c4eb-f57e-4d4c-b602-bf39176ced07"

type object = map[string]interface{}

func synthesize(t *testing.T) (assertions.Template, string) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(t.TempDir(), "cdk.out"))})
	stack := CallsStack(app)
	template := assertions.Template_FromStack(stack, nil)
	return template, *app.Synth(nil).Directory()
}

// The handler bundle inside the module's embedded npm tarball, as built by `projen bundle`.
func shippedBundle(t *testing.T, name string) []byte {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/example/cdk-connect-outbound-caller-go/cdkconnectoutboundcaller").Output()
	if err != nil {
		t.Fatal(err)
	}
	tarballs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(dir)), "jsii", "*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("expected one tarball in the module's jsii folder, found %v", tarballs)
	}
	file, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	unzipped, err := gzip.NewReader(file)
	if err != nil {
		t.Fatal(err)
	}
	archive := tar.NewReader(unzipped)
	for {
		header, err := archive.Next()
		if err != nil {
			t.Fatalf("package/assets/lambda/%s.lambda/index.js not in %s: %v", name, tarballs[0], err)
		}
		if header.Name == fmt.Sprintf("package/assets/lambda/%s.lambda/index.js", name) {
			data, _ := io.ReadAll(archive)
			return data
		}
	}
}

func TestNoEsbuildOrDockerOnPath(t *testing.T) {
	for _, name := range []string{"esbuild", "docker"} {
		if found, err := exec.LookPath(name); err == nil {
			t.Errorf("%s is on the PATH: %s", name, found)
		}
	}
}

func TestRouteIsPutContactOutboundVoiceBehindAnApiKey(t *testing.T) {
	template, _ := synthesize(t)
	routes := *template.FindResources(jsii.String("AWS::ApiGateway::Resource"), object{"Properties": object{"PathPart": "outbound-voice"}})
	if len(routes) != 1 {
		t.Fatalf("expected one outbound-voice resource, got %d", len(routes))
	}
	for route := range routes {
		template.HasResourceProperties(jsii.String("AWS::ApiGateway::Method"), object{
			"HttpMethod":        "PUT",
			"ResourceId":        object{"Ref": route},
			"AuthorizationType": "NONE",
			"ApiKeyRequired":    true,
		})
	}
	template.ResourceCountIs(jsii.String("AWS::ApiGateway::ApiKey"), jsii.Number(1))
	template.HasResourceProperties(jsii.String("AWS::ApiGateway::UsagePlan"), object{
		"ApiStages": []interface{}{assertions.Match_ObjectLike(&object{
			"Throttle": object{"/contact/outbound-voice/PUT": object{"RateLimit": 2, "BurstLimit": 5}},
		})},
	})
}

func TestLedgerExpiresRecordsAfterTheIdempotencyWindow(t *testing.T) {
	template, _ := synthesize(t)
	template.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), object{
		"TimeToLiveSpecification":          object{"AttributeName": "expiresAt", "Enabled": true},
		"PointInTimeRecoverySpecification": object{"PointInTimeRecoveryEnabled": true},
	})
	template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), object{
		"Environment": object{"Variables": assertions.Match_ObjectLike(&object{
			"IDEMPOTENCY_WINDOW_SECONDS":    "172800",
			"QUEUE_ID":                      "5a3a2e56-9b44-4e8b-8f7e-0c1d2e3f4a5b",
			"ALLOWED_DESTINATION_COUNTRIES": "GB,IE",
			"AUTH_MODE":                     "API_KEY",
		})},
	})
}

func TestConnectPermissionIsScopedToContactsOfThisInstance(t *testing.T) {
	template, _ := synthesize(t)
	template.HasResourceProperties(jsii.String("AWS::IAM::Policy"), object{
		"PolicyDocument": object{"Statement": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_ObjectLike(&object{
			"Action":   "connect:StartOutboundVoiceContact",
			"Resource": "arn:aws:connect:eu-west-2:111122223333:instance/" + instance + "/contact/*",
		})})},
	})
	for _, policy := range *template.FindResources(jsii.String("AWS::IAM::Policy"), nil) {
		document := (*policy)["Properties"].(object)["PolicyDocument"].(object)
		for _, s := range document["Statement"].([]interface{}) {
			statement := s.(object)
			if statement["Resource"] != "*" {
				continue
			}
			actions, ok := statement["Action"].([]interface{})
			if !ok {
				actions = []interface{}{statement["Action"]}
			}
			for _, action := range actions {
				if !strings.HasPrefix(action.(string), "xray:") {
					t.Errorf("%v on *: %v", action, statement)
				}
			}
		}
	}
}

func TestFunctionCodeIsTheShippedBundle(t *testing.T) {
	template, outdir := synthesize(t)
	functions := *template.FindResources(jsii.String("AWS::Lambda::Function"), nil)
	if len(functions) != 2 {
		t.Fatalf("expected 2 functions, got %d", len(functions))
	}
	descriptions := map[string]string{
		"outbound-caller": "OutboundCaller: PUT /contact/outbound-voice",
		"contact-events":  "OutboundCaller: contact events to call status",
	}
	for name, description := range descriptions {
		found := false
		for _, function := range functions {
			properties := (*function)["Properties"].(object)
			if properties["Description"] != description {
				continue
			}
			found = true
			key := properties["Code"].(object)["S3Key"].(string)
			// The staged copy: asset.<hash>, with the source folder's extension on newer aws-cdk-lib.
			dirs, _ := filepath.Glob(filepath.Join(outdir, "asset."+strings.TrimSuffix(key, ".zip")+"*"))
			if len(dirs) != 1 {
				t.Fatalf("%s: expected one staged asset folder, found %v", name, dirs)
			}
			staged, err := os.ReadFile(filepath.Join(dirs[0], "index.js"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(staged, shippedBundle(t, name)) {
				t.Errorf("%s: the staged asset is not the shipped bundle", name)
			}
		}
		if !found {
			t.Errorf("no function described %q", description)
		}
	}
}

func TestInvalidPropsListEveryProblemWithPropValueAndFix(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Invalid"), nil)
	message := func() (message string) {
		defer func() { message = fmt.Sprint(recover()) }()
		cdkconnectoutboundcaller.NewOutboundCaller(stack, jsii.String("Caller"), &cdkconnectoutboundcaller.OutboundCallerProps{
			InstanceId:        jsii.String("nope"),
			ContactFlowId:     jsii.String("abc"),
			SourcePhoneNumber: jsii.String("12345"),
		})
		return "no error"
	}()
	for _, expected := range []string{
		"OutboundCaller: 3 problem(s) in props:",
		`instanceId must be a Connect instance id (a GUID) or an instance ARN; got "nope". Copy the instance ARN`,
		`contactFlowId must be a contact-flow GUID or a contact-flow ARN; got "abc".`,
		`sourcePhoneNumber must be an E.164 phone number (+ and 2 to 15 digits, no spaces); got "12345". Write it like +14155550100`,
	} {
		if !strings.Contains(message, expected) {
			t.Errorf("error %q does not contain %q", message, expected)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}
