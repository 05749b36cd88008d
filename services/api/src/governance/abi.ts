/** The contract functions the governance flow calls or reads, as minimal ABIs. */
import { Interface } from "ethers";
import { VOTED_EVENT } from "./proxy-logs.js";

export const factoryInterface = new Interface([
  "function createProxy(bytes32 customerId, address cold, address hot) returns (address)",
  "event ProxyCreated(bytes32 customerId, address indexed proxy, address cold, address hot)",
]);

export const proxyInterface = new Interface([
  "function lock(uint256 wad)",
  "function free(uint256 wad)",
  "function freeAll() returns (uint256)",
  "function vote(address[] yays) returns (bytes32)",
  "function vote(bytes32 slate)",
  "event Locked(uint256 wad)",
  "event Freed(uint256 wad)",
  VOTED_EVENT,
]);

export const erc20Interface = new Interface(["function balanceOf(address) view returns (uint256)"]);

export const chiefInterface = new Interface([
  "function deposits(address) view returns (uint256)",
  "function votes(address) view returns (bytes32)",
  "function slates(bytes32, uint256) view returns (address)",
]);

/** Custom errors of our contracts, so reverts are reported by name. */
export const CONTRACT_ERRORS = [
  "error VoteProxyUnauthorized(address caller)",
  "error VoteProxyZeroAmount()",
  "error VoteProxyInsufficientBalance(uint256 requested, uint256 available)",
  "error VoteProxyInsufficientDeposit(uint256 requested, uint256 deposited)",
  "error VoteProxyFactoryProxyExists(address proxy)",
  "error VoteProxyFactoryInvalidCold(address cold)",
  "error VoteProxyFactoryInvalidHot(address hot)",
  "error VoteProxyFactoryCreateFailed()",
];
