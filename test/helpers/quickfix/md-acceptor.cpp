// A FIX 4.4 market-data acceptor on QuickFIX, the reference engine, for the fix44 adapter's interop tests.
// The test builds it (test/helpers/quickfix-acceptor.ts) and drives it line by line on stdin; everything the
// session does comes back on stdout, one line each:
//   ready                      listening
//   in <msg> / out <msg>       every message received / sent, raw, SOH shown as '|'
//   event <text>               QuickFIX's session events ("MsgSeqNum too high, expecting 5 but received 7", ...)
//   ok <command> / error <why> after each command
// Commands:
//   tick SYMBOL BID ASK RPTSEQ  remember a top of book; push it as an incremental refresh (35=X) if subscribed
//   skip N                      the next outgoing MsgSeqNum jumps by N (a gap on our side: the initiator asks a resend)
//   rewind-incoming N           expect the initiator's MsgSeqNum N lower (QuickFIX then sees its next message as a
//                               gap and sends its own ResendRequest)
//   resend BEGIN END            send a ResendRequest
//   dup possdup|plain           send the last refresh again under its old MsgSeqNum, with or without PossDupFlag=Y
//   skew SECONDS                SendingTime of everything sent from now on is off by SECONDS
//   quit                        (or end of stdin: the test process died) stop and exit
// The session is PARTNER -> FXENGINE on FIX.4.4, messages kept in memory (resends come from there).
#include <quickfix/Application.h>
#include <quickfix/Log.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/fix44/MarketDataIncrementalRefresh.h>
#include <quickfix/fix44/MarketDataRequest.h>
#include <quickfix/fix44/MarketDataSnapshotFullRefresh.h>
#include <quickfix/fix44/ResendRequest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::mutex outMutex;

void say(const std::string& kind, const std::string& text) {
  std::string line = text;
  std::replace(line.begin(), line.end(), '\x01', '|');
  std::lock_guard<std::mutex> lock(outMutex);
  std::cout << kind << (line.empty() ? "" : " ") << line << std::endl;
}

class LineLog : public FIX::Log {
 public:
  void clear() override {}
  void backup() override {}
  void onIncoming(const std::string& s) override { say("in", s); }
  void onOutgoing(const std::string& s) override { say("out", s); }
  void onEvent(const std::string& s) override { say("event", s); }
};

class LineLogFactory : public FIX::LogFactory {
 public:
  FIX::Log* create() override { return new LineLog(); }
  FIX::Log* create(const FIX::SessionID&) override { return new LineLog(); }
  void destroy(FIX::Log* log) override { delete log; }
};

/** FIX UTCTimestamp with milliseconds, `offsetSec` away from now. */
std::string sendingTime(int offsetSec) {
  using namespace std::chrono;
  const auto now = system_clock::now() + seconds(offsetSec);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t t = system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d-%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(ms));
  return out;
}

struct Top {
  std::string bid, ask;
};

class MarketData : public FIX::Application {
 public:
  explicit MarketData(const FIX::SessionID& id) : id_(id) {}

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID&) override { say("event", "logon"); }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> lock(m_);
    subscription_.clear();
    subscribed_.clear();
    say("event", "logout");
  }
  void toAdmin(FIX::Message& m, const FIX::SessionID&) override { stamp(m); }
  void toApp(FIX::Message& m, const FIX::SessionID&) throw(FIX::DoNotSend) override {
    stamp(m);
    std::lock_guard<std::mutex> lock(m_);
    if (dup_.active) {
      // QuickFIX's send() strips PossDupFlag and numbers the message afresh: put back what a duplicate carries.
      m.getHeader().setField(FIX::FIELD::MsgSeqNum, std::to_string(dup_.seq));
      if (dup_.possDup) {
        m.getHeader().setField(FIX::FIELD::PossDupFlag, "Y");
        m.getHeader().setField(FIX::FIELD::OrigSendingTime, dup_.origSendingTime);
      }
      dup_.active = false;
      return;
    }
    const bool resent = m.getHeader().isSetField(FIX::FIELD::PossDupFlag) && m.getHeader().getField(FIX::FIELD::PossDupFlag) == "Y";
    if (!resent && m.getHeader().getField(FIX::FIELD::MsgType) == "X") lastRefresh_ = m;
  }
  void fromAdmin(const FIX::Message&, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID&)
      throw(FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue, FIX::UnsupportedMessageType) override {
    if (m.getHeader().getField(FIX::FIELD::MsgType) != "V") throw FIX::UnsupportedMessageType();
    const std::string reqId = m.getField(FIX::FIELD::MDReqID);
    const std::string type = m.getField(FIX::FIELD::SubscriptionRequestType);
    std::set<std::string> symbols;
    FIX44::MarketDataRequest::NoRelatedSym group;
    const int n = std::stoi(m.getField(FIX::FIELD::NoRelatedSym));
    for (int i = 1; i <= n; i++) {
      m.getGroup(i, group);
      symbols.insert(group.getField(FIX::FIELD::Symbol));
    }
    std::map<std::string, Top> snapshot;
    {
      std::lock_guard<std::mutex> lock(m_);
      if (type == "1") subscription_ = reqId, subscribed_ = symbols;
      if (type == "2") subscription_.clear(), subscribed_.clear();
      if (type == "2") return;
      for (const auto& s : symbols)
        if (book_.count(s)) snapshot[s] = book_[s];
    }
    for (const auto& entry : snapshot) {
      FIX44::MarketDataSnapshotFullRefresh w;
      w.setField(FIX::FIELD::MDReqID, reqId);
      w.setField(FIX::FIELD::Symbol, entry.first);
      addEntry(w, "0", entry.second.bid);
      addEntry(w, "1", entry.second.ask);
      FIX::Session::sendToTarget(w, id_);
    }
  }

  // Commands, from the main thread.
  void tick(const std::string& symbol, const std::string& bid, const std::string& ask, const std::string& rptSeq) {
    std::string reqId;
    {
      std::lock_guard<std::mutex> lock(m_);
      book_[symbol] = Top{bid, ask};
      if (subscription_.empty() || !subscribed_.count(symbol)) return;
      reqId = subscription_;
    }
    FIX44::MarketDataIncrementalRefresh x;
    x.setField(FIX::FIELD::MDReqID, reqId);
    for (const auto& side : {std::make_pair(std::string("0"), bid), std::make_pair(std::string("1"), ask)}) {
      FIX44::MarketDataIncrementalRefresh::NoMDEntries e;
      e.setField(FIX::FIELD::MDUpdateAction, "1");
      e.setField(FIX::FIELD::MDEntryType, side.first);
      e.setField(FIX::FIELD::Symbol, symbol);
      e.setField(FIX::FIELD::MDEntryPx, side.second);  // as text: a double would round the partner's decimals
      e.setField(FIX::FIELD::RptSeq, rptSeq);
      x.addGroup(e);
    }
    FIX::Session::sendToTarget(x, id_);
  }

  void duplicate(bool possDup) {
    FIX::Message m;
    {
      std::lock_guard<std::mutex> lock(m_);
      if (!lastRefresh_.getHeader().isSetField(FIX::FIELD::MsgSeqNum)) throw std::runtime_error("no refresh sent yet");
      m = lastRefresh_;
      dup_ = Dup{true, possDup, std::stoi(m.getHeader().getField(FIX::FIELD::MsgSeqNum)), m.getHeader().getField(FIX::FIELD::SendingTime)};
    }
    FIX::Session* s = session();
    const int next = s->getExpectedSenderNum();
    FIX::Session::sendToTarget(m, id_);
    s->setNextSenderMsgSeqNum(next);  // the duplicate took an old number, not a new one
  }

  void skew(int seconds) {
    std::lock_guard<std::mutex> lock(m_);
    skewSec_ = seconds;
  }

  FIX::Session* session() {
    FIX::Session* s = FIX::Session::lookupSession(id_);
    if (!s) throw std::runtime_error("no session");
    return s;
  }

 private:
  struct Dup {
    bool active = false;
    bool possDup = false;
    int seq = 0;
    std::string origSendingTime;
  };

  static void addEntry(FIX44::MarketDataSnapshotFullRefresh& w, const char* type, const std::string& px) {
    FIX44::MarketDataSnapshotFullRefresh::NoMDEntries e;
    e.setField(FIX::FIELD::MDEntryType, type);
    e.setField(FIX::FIELD::MDEntryPx, px);
    w.addGroup(e);
  }

  void stamp(FIX::Message& m) {
    std::lock_guard<std::mutex> lock(m_);
    if (skewSec_) m.getHeader().setField(FIX::FIELD::SendingTime, sendingTime(skewSec_));
  }

  const FIX::SessionID id_;
  std::mutex m_;
  std::map<std::string, Top> book_;
  std::string subscription_;
  std::set<std::string> subscribed_;
  FIX::Message lastRefresh_;
  Dup dup_;
  int skewSec_ = 0;
};

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; i++)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string port = arg(argc, argv, "--port", "");
  const std::string dict = arg(argc, argv, "--dict", "");
  if (port.empty() || dict.empty()) {
    std::cerr << "usage: md-acceptor --port PORT --dict FIX44.xml" << std::endl;
    return 2;
  }
  std::istringstream config(
      "[DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=" + port +
      "\nSocketReuseAddress=Y\nStartTime=00:00:00\nEndTime=00:00:00\nUseDataDictionary=Y\nDataDictionary=" + dict +
      "\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=PARTNER\nTargetCompID=FXENGINE\n");
  try {
    FIX::SessionSettings settings(config);
    const FIX::SessionID id("FIX.4.4", "PARTNER", "FXENGINE");
    MarketData app(id);
    FIX::MemoryStoreFactory store;
    LineLogFactory logs;
    FIX::SocketAcceptor acceptor(app, store, settings, logs);
    acceptor.start();
    say("ready", "");
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream in(line);
      std::string cmd;
      in >> cmd;
      try {
        if (cmd == "tick") {
          std::string symbol, bid, ask, rptSeq;
          in >> symbol >> bid >> ask >> rptSeq;
          app.tick(symbol, bid, ask, rptSeq);
        } else if (cmd == "skip") {
          int n = 0;
          in >> n;
          app.session()->setNextSenderMsgSeqNum(app.session()->getExpectedSenderNum() + n);
        } else if (cmd == "rewind-incoming") {
          int n = 0;
          in >> n;
          app.session()->setNextTargetMsgSeqNum(app.session()->getExpectedTargetNum() - n);
        } else if (cmd == "resend") {
          int begin = 0, end = 0;
          in >> begin >> end;
          FIX44::ResendRequest r{FIX::BeginSeqNo(begin), FIX::EndSeqNo(end)};
          FIX::Session::sendToTarget(r, id);
        } else if (cmd == "dup") {
          std::string how;
          in >> how;
          app.duplicate(how == "possdup");
        } else if (cmd == "skew") {
          int seconds = 0;
          in >> seconds;
          app.skew(seconds);
        } else if (cmd == "quit") {
          break;
        } else {
          throw std::runtime_error("unknown command: " + cmd);
        }
        say("ok", cmd);
      } catch (const std::exception& e) {
        say("error", cmd + ": " + e.what());
      }
    }
    acceptor.stop(true);
  } catch (const std::exception& e) {
    say("error", std::string("start: ") + e.what());
    return 1;
  }
  return 0;
}
