// A stand-in for the Kubernetes e2e suite (test/e2e), for the tests of kaas's results parser.
//
// It runs under the same Ginkgo v2 release as the e2e.test of Kubernetes v1.36 and writes its
// JUnit report the way test/e2e/framework/internal/junit does (the same reporter and options,
// specs sorted by name), so junit_01.xml and the console output (e2e.log) have the real format.
// What runs is chosen like in the conformance image: --ginkgo.focus and --ginkgo.skip.
// KAAS_FIXTURE_FAIL=1 makes two specs fail; KAAS_FIXTURE_SETUP_FAIL=1 fails the suite setup.
package e2esuite

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

func TestE2E(t *testing.T) {
	gomega.RegisterFailHandler(ginkgo.Fail)
	ginkgo.RunSpecs(t, "Kubernetes e2e suite")
}

var _ = ginkgo.SynchronizedBeforeSuite(func() []byte {
	if os.Getenv("KAAS_FIXTURE_SETUP_FAIL") == "1" {
		ginkgo.Fail("the cluster is not ready: 1 of 3 nodes are not schedulable")
	}
	return nil
}, func([]byte) {})

var _ = ginkgo.ReportAfterSuite("Kubernetes e2e JUnit report", func(report ginkgo.Report) {
	config := reporters.JunitReportConfig{
		OmitTimelinesForSpecState: types.SpecStatePassed | types.SpecStateSkipped,
		OmitFailureMessageAttr:    true,
		OmitSpecLabels:            true,
	}
	slices.SortFunc(report.SpecReports, func(a, b types.SpecReport) int {
		return strings.Compare(a.FullText(), b.FullText())
	})
	dir := os.Getenv("KAAS_FIXTURE_REPORT_DIR")
	gomega.Expect(reporters.GenerateJUnitReportWithConfig(report, filepath.Join(dir, "junit_01.xml"), config)).To(gomega.Succeed())
})

func failing() bool { return os.Getenv("KAAS_FIXTURE_FAIL") == "1" }

var _ = ginkgo.Describe("[sig-node] Pods", func() {
	ginkgo.It("should be submitted and removed [NodeConformance] [Conformance]", func() {})
	ginkgo.It("should get a host IP [NodeConformance] [Conformance]", func() {})
	ginkgo.It("should be updated [NodeConformance] [Conformance]", func() {
		if failing() {
			ginkgo.Fail("pod \"pod-update-1\" was not updated: timed out after 5m0s")
		}
	})
})

var _ = ginkgo.Describe("[sig-node] NoExecuteTaintManager Single Pod [Serial]", func() {
	ginkgo.It("removing taint cancels eviction [Disruptive] [Conformance]", func() {})
})

var _ = ginkgo.Describe("[sig-storage] CSI Volumes", func() {
	ginkgo.It("[Driver: csi-hostpath] should provision storage with snapshot data source [Feature:VolumeSnapshotDataSource]", func() {})
	ginkgo.It("[Driver: csi-hostpath] should access to two volumes with the same volume mode [Disruptive]", func() {})
})

var _ = ginkgo.Describe("[sig-network] Services", func() {
	ginkgo.It("should serve a basic endpoint from pods [Conformance]", func() {
		if failing() {
			ginkgo.Fail("service \"endpoint-test2\" did not answer on 10.96.0.17:80 within 2m0s")
		}
	})
	ginkgo.It("should be able to change the type from ExternalName to NodePort [Conformance]", func() {})
})
